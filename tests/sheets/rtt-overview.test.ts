/**
 * RTT Overview Timeseries (.xlsx), Jun22 and Jul23 editions. Expected values come from a throwaway
 * SheetJS dump of the raw cells (header rows, merges B11:B22, serials, '52+' strings, notes rows).
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { col, collect, sample } from './helpers.ts';

const jun22 = sample('rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx');
const jul23 = sample('rtt-waiting-times/rtt-data_RTT-Overview-Timeseries-Jul23.xlsx');

describe('RTT overview time series (xlsx)', () => {
  it('finds one table under the metadata block, notes below excluded', async () => {
    const x = await describeFile(jun22);
    expect(x.format).toBe('xlsx');
    expect(x.skipped).toEqual([]);
    expect(x.tables).toHaveLength(1);
    const t = x.tables[0];
    expect(t.key).toBe('Full Time Series#1');
    expect(t.sheet).toBe('Full Time Series');
    expect(t.headerRows).toEqual([9, 10]);
    // Rows 194–202 hold only the months still to come and `-`: placeholders, listed, not data.
    expect([t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([11, 193, 183]);
    expect(t.omittedRows).toEqual([{ reason: 'placeholder: a label and no value in any measure column', rows: [194, 195, 196, 197, 198, 199, 200, 201, 202] }]);
    expect(t.rowKinds).toEqual({ detail: 183, total: 0, subtotal: 0, derived: 0 });
    expect(t.metadata).toMatchObject({ Period: 'April 2007 to June 2022', Basis: 'Commissioner', Contact: 'england.rtt@nhs.net' });
    // Columns B..W then AC.. after the blank spacer column X: one table, spacer dropped.
    expect(t.columns.map((c) => c.sourceColumn)).not.toContain('X');
    expect(t.columns[t.columns.length - 1].sourceColumn).toBe('AC');
    expect(t.columns.slice(0, 3).map((c) => [c.name, c.type])).toEqual([
      ['Year', 'text'],
      ['Month', 'date'],
      ['Incomplete RTT pathways - Median wait (weeks)', 'numeric'],
    ]);
  });

  it('fills the vertically merged Year down and treats 52+ as a censored marker', async () => {
    const x = await describeFile(jun22);
    const t = x.tables[0];
    const rows = await collect(jun22, t);
    expect(rows).toHaveLength(183);
    expect(rows.every((r) => r.kind === 'detail')).toBe(true);
    // The last row is June 2022, the last month with figures (its Year comes from the merge B191:B202).
    expect(rows[182].row).toBe(193);
    expect(col(t, rows[182].values, 'Year')).toBe('2022/23');
    expect(toPgText(col(t, rows[182].values, 'Month'), 'date').text).toBe('2022-06-01');
    expect(col(t, rows[182].values, 'Incomplete RTT pathways - No. within 18 weeks')).toBe(4184599);
    expect(col(t, rows[0].values, 'Year')).toBe('2007/08');
    expect(col(t, rows[11].values, 'Year')).toBe('2007/08'); // row 22, inside B11:B22
    expect(col(t, rows[12].values, 'Year')).toBe('2008/09'); // row 23
    expect(toPgText(col(t, rows[0].values, 'Month'), 'date').text).toBe('2007-04-01');
    const p95 = t.columns.find((c) => c.name === 'Admitted (unadjusted) RTT pathways - 95th percentile (weeks)')!;
    expect(p95.type).toBe('numeric');
    expect(p95.markers['52+']).toBeGreaterThan(0);
    expect(toPgText(rows[0].values[p95.index], p95.type)).toEqual({ text: null, marker: '52+' });
    expect(toPgText(col(t, rows[0].values, 'Admitted (unadjusted) RTT pathways - Median wait (weeks)'), 'numeric').text).toMatch(/^17\.4884615384/);
    expect(toPgText(col(t, rows[0].values, 'Incomplete RTT pathways - Median wait (weeks)'), 'numeric')).toEqual({ text: null, marker: '-' });
  });

  it('Jul23: header one row lower, new columns, same (group, leaf) names for old columns', async () => {
    const [a, b] = await Promise.all([describeFile(jun22), describeFile(jul23)]);
    const t = b.tables[0];
    expect(t.headerRows).toEqual([10, 11]);
    expect([t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([12, 207, 196]);
    expect(t.omittedRows).toEqual([{ reason: 'placeholder: a label and no value in any measure column', rows: [208, 209, 210, 211, 212, 213, 214, 215] }]);
    const names = t.columns.map((c) => c.name);
    expect(names).toContain('Incomplete RTT pathways - No. > 65 weeks with estimates for missing data');
    expect(names).toContain('Non-Admitted RTT pathways - No. within 18 weeks');
    // Every Jun22 group+leaf name also exists in Jul23 (each group now heads all of its columns).
    for (const n of a.tables[0].columns.map((c) => c.name).filter((n) => n.includes(' - '))) expect(names).toContain(n);
    expect(new Set(names).size).toBe(names.length);
  });
});
