/**
 * PROMs time-series CSVs: wide, '-' and '*' markers, text outlier categories. Expected values read
 * with Python's csv module (4,479 / 4,530 rows; 72 '*' in Modelled_Records_2011 of 1718).
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { col, collect, sample } from './helpers.ts';

const p1718 = sample('proms/Time Series 1718.csv');
const p1819 = sample('proms/Time Series Hip and Knee Replacement 1819.csv');

describe('PROMs time series CSVs', () => {
  it('types the wide columns, markers excluded', async () => {
    const x = await describeFile(p1718);
    const t = x.tables[0];
    expect([t.rowCount, t.columns.length]).toEqual([4479, 25]);
    const by = (n: string) => t.columns.find((c) => c.name === n)!;
    expect(by('Modelled_Records_2011')).toMatchObject({ type: 'integer', markers: { '*': 72 } });
    expect(by('Adjusted_Health_Gain_2017').type).toBe('numeric');
    expect(by('Outlier_2017').type).toBe('text');
    const rows = await collect(p1718, t);
    expect(col(t, rows[0].values, 'Outlier_2017')).toBe('Positive outlier (95%)');
    expect(toPgText(col(t, rows[0].values, 'Adjusted_Health_Gain_2011'), 'numeric')).toEqual({ text: null, marker: '-' });
    expect(toPgText(col(t, rows[0].values, 'Adjusted_Health_Gain_2017'), 'numeric')).toEqual({ text: '17.283', marker: null });
    expect(rows.at(-1)!.values.slice(0, 2)).toEqual(['RYR', 'WESTERN SUSSEX HOSPITALS NHS FOUNDATION TRUST']);
  });

  it('next edition gains one column per family', async () => {
    const x = await describeFile(p1819);
    const t = x.tables[0];
    expect([t.rowCount, t.columns.length]).toEqual([4530, 28]);
    expect(t.columns.map((c) => c.name)).toContain('Modelled_Records_2018');
    expect(t.columns.find((c) => c.name === 'Modelled_Records_2011')!.markers).toEqual({ '*': 69 });
  });
});
