/**
 * Monthly A&E Time Series (.xls, BIFF8), three periods. Expected values were read independently
 * with a throwaway SheetJS dump of the raw cells (rows/serials/numbers), not from this library.
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { col, collect, sample, table } from './helpers.ts';

const DIR = 'ae-attendances-emergency-admissions';
const jan24 = sample(`${DIR}/Monthly-AE-Time-Series-January-2024.xls`);
const mar24 = sample(`${DIR}/Monthly-AE-Time-Series-March-2024.xls`);
const mar26 = sample(`${DIR}/Monthly-AE-Time-Series-March-2026-F5ldj2.xls`);

describe('A&E monthly time series (xls)', () => {
  it('keeps Activity, Performance and Booking and skips the rest with reasons', async () => {
    const x = await describeFile(jan24);
    expect(x.format).toBe('xls');
    expect(x.tables.map((t) => t.key)).toEqual(['Activity#1', 'Performance#1', 'Booking#1']);
    const reasons = Object.fromEntries(x.skipped.filter((s) => s.sheet !== 'Activity').map((s) => [s.sheet, s.reason]));
    expect(reasons).toEqual({
      Notes: 'contents/notes sheet',
      'Chart Data': 'chart data helper',
      Charts: 'no cells (text lives in drawings or a chart)',
    });
    // The operational-standard annotation beside the Activity table (label in P13, 0.95 in R13 and down column P)
    // is one chart helper: skipped once, not ingested.
    expect(x.skipped.filter((s) => s.sheet === 'Activity')).toEqual([{ sheet: 'Activity', reason: 'chart data helper beside the table (columns P, R)' }]);
  });

  it('reads the Activity sheet: header on rows 13-14 in column B, metadata block above', async () => {
    const x = await describeFile(jan24);
    const t = table(x.tables, 'Activity#1');
    expect(t.headerRows).toEqual([13, 14]);
    expect([t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([15, 176, 162]);
    expect(t.caption).toBe('England Level Data');
    expect(t.metadata.Period).toBe('August 2010 - present');
    expect(t.metadata.Published).toBe('8th February 2024');
    expect(t.metadata.Revised).toBe('');
    expect(t.columns.map((c) => c.sourceColumn).join('')).toBe('BCDEFGHIJKLMN');
    expect(t.columns[0]).toMatchObject({ name: 'Period', type: 'date', nullCount: 0 });
    expect(t.columns[1]).toMatchObject({ name: 'Type 1 Departments - Major A&E', rawHeader: 'A&E attendances | Type 1 Departments - Major A&E', type: 'numeric' });
    expect(t.columns[12].name).toBe('Number of patients spending >12 hours from decision to admit to admission');
    const rows = await collect(jan24, t);
    expect(rows).toHaveLength(162);
    expect(rows[0].row).toBe(15);
    expect(toPgText(rows[0].values[0], 'date').text).toBe('2010-08-01');
    expect(col(t, rows[0].values, 'Type 1 Departments - Major A&E')).toBe(1138652);
    const last = rows[rows.length - 1];
    expect(last.row).toBe(176);
    expect(toPgText(last.values[0], 'date').text).toBe('2024-01-01');
    expect(col(t, last.values, 'Total Emergency Admissions')).toBe(556258);
  });

  it('combines group and leaf where Performance repeats leaf names', async () => {
    const x = await describeFile(jan24);
    const t = table(x.tables, 'Performance#1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[13, 14], 15, 173, 159]);
    const names = t.columns.map((c) => c.name);
    expect(names).toContain('A&E attendances less than 4 hours from arrival to admission, transfer or discharge - Type 1 Departments - Major A&E');
    expect(names).toContain('A&E attendances greater than 4 hours from arrival to admission, transfer or discharge - Type 1 Departments - Major A&E');
    // The group heads every column under it, the total included, so siblings read alike.
    expect(names).toContain('A&E attendances less than 4 hours from arrival to admission, transfer or discharge - Total Attendances < 4 hours');
    expect(new Set(names).size).toBe(names.length);
  });

  it('Booking uses "-" for undefined percentages: a marker in a numeric column', async () => {
    const x = await describeFile(jan24);
    const t = table(x.tables, 'Booking#1');
    expect([t.headerRows, t.firstDataRow]).toEqual([[12, 13], 14]);
    const q = t.columns.find((c) => c.sourceColumn === 'Q')!;
    expect(q.type).toBe('numeric');
    expect(q.markers['-']).toBeGreaterThan(0);
    const rows = await collect(jan24, t);
    expect(toPgText(rows[0].values[q.index], q.type)).toEqual({ text: null, marker: '-' });
  });

  it('later periods have the same columns and only more rows', async () => {
    const [a, b, c] = await Promise.all([describeFile(jan24), describeFile(mar24), describeFile(mar26)]);
    const names = (x: typeof a) => table(x.tables, 'Activity#1').columns.map((col) => `${col.name}:${col.type}`);
    expect(names(b)).toEqual(names(a));
    expect(names(c)).toEqual(names(a));
    expect(table(b.tables, 'Activity#1').rowCount).toBe(164);
    expect(table(c.tables, 'Activity#1').rowCount).toBe(188);
    // 2026's Performance used range starts in column A, but the table still starts in column B.
    expect(table(c.tables, 'Performance#1').columns[0].sourceColumn).toBe('B');
    const rows = await collect(mar26, table(c.tables, 'Activity#1'));
    const last = rows[rows.length - 1];
    expect(last.row).toBe(202);
    expect(toPgText(last.values[0], 'date').text).toBe('2026-03-01');
    expect(last.values.slice(1, 2)).toEqual([1478125]);
  });
});
