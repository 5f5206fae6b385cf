/**
 * Out of Area Placements open data CSVs: three schemas, '*' suppression, printf exponents. Expected
 * values read with Python's csv module (8,424 / 11,324 / 12,236 rows; 6,658 / 8,320 / 8,889 '*').
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { collect, sample } from './helpers.ts';

const oct = sample('out-of-area-placements/oaps-open-data-oct-2016.csv');
const dec = sample('out-of-area-placements/oaps-open-data-dec-2016.csv');
const feb = sample('out-of-area-placements/oaps-open-data-feb-2017.csv');

describe('OAPs open data CSVs', () => {
  it('three editions, three schemas', async () => {
    const [a, b, c] = await Promise.all([describeFile(oct), describeFile(dec), describeFile(feb)]);
    expect(a.tables[0].columns.map((x) => x.name)).toEqual(['Question', 'Breakdown1', 'Breakdown1Code', 'Breakdown2', 'Breakdown2Code', 'value']);
    expect(b.tables[0].columns).toHaveLength(8);
    expect(c.tables[0].columns.map((x) => x.name).slice(0, 2)).toEqual(['PublicationDate', 'PublicationPeriod']);
    expect([a, b, c].map((x) => x.tables[0].rowCount)).toEqual([8424, 11324, 12236]);
    expect([a, b, c].map((x) => x.tables[0].columns.at(-1)!.markers['*'])).toEqual([6658, 8320, 8889]);
    expect([a, b, c].map((x) => x.tables[0].columns.at(-1)!.type)).toEqual(['numeric', 'numeric', 'numeric']);
    // 'England' label rows are flagged as totals (rows with an England cell).
    expect([a, b, c].map((x) => x.tables[0].totalsRows)).toEqual([130, 190, 228]);
  });

  it('converts exponent costs and YYYY/MM periods', async () => {
    const x = await describeFile(feb);
    const t = x.tables[0];
    expect(t.columns[1].type).toBe('date');
    const rows = await collect(feb, t);
    expect(rows[0].values).toEqual(['2017/04', '2017/02', 'OAPs active at period end', 'England', null, null, null, null, null, '681']);
    expect(rows[0].isTotal).toBe(true);
    expect(toPgText(rows[0].values[1], 'date').text).toBe('2017-02-01');
    const exp = rows.find((r) => r.values[9] === '5.7637e+006')!;
    expect(toPgText(exp.values[9], 'numeric')).toEqual({ text: '5763700', marker: null });
    expect(toPgText(rows.at(-1)!.values[9], 'numeric')).toEqual({ text: null, marker: '*' });
  });
});
