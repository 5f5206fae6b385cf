/**
 * CCG Outcomes Indicator Set 1.2 (.xls) with 10,699 merged ranges: every value cell merged with a
 * spacer column. Expected values from a throwaway SheetJS dump (header row 18, data 19..2154).
 */
import { describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { collect, sample } from './helpers.ts';

const file = sample('ccg-outcomes-indicator-set/CCG_1_2_I00754_D.xls');

describe('CCG outcomes indicator (xls with spacer merges)', () => {
  it('skips title and notes sheets and drops the spacer columns', async () => {
    const x = await describeFile(file);
    expect(x.skipped).toEqual([
      { sheet: 'Title sheet', reason: 'title sheet' },
      { sheet: 'Notes and definitions', reason: 'contents/notes sheet' },
    ]);
    expect(x.tables).toHaveLength(1);
    const t = x.tables[0];
    expect(t.key).toBe('Data#1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[18], 19, 2154, 2136]);
    expect(t.caption).toBe('CCG OIS Indicator 1.2 - Under 75 mortality from cardiovascular disease');
    expect(t.metadata.Source).toBe('PCMD, GP Registered population');
    expect(t.columns.map((c) => `${c.sourceColumn}:${c.name}:${c.type}`)).toEqual([
      'A:Reporting period:integer',
      'B:Period of coverage:text',
      'D:Breakdown:text',
      'E:ONS code:text',
      'F:Level:text',
      'G:Level description:text',
      'H:Gender:text',
      'I:Indicator value:numeric',
      'K:CI lower:numeric',
      'M:CI upper:numeric',
      'N:Denominator:integer',
      'Q:Numerator:integer',
    ]);
    // National rows stacked above CCG rows: the level column is found and the 12 National rows (2019 × 3 genders … ) are flagged.
    expect(t.levels).toEqual({ column: 'Breakdown', index: 2, detail: 'CCG', counts: { CCG: 2124, National: 12 } });
    expect(t.totalsRows).toBe(12);
    const rows = await collect(file, t);
    expect(rows.filter((r) => r.isTotal).map((r) => r.values[2])).toEqual(Array(12).fill('National'));
    expect(rows[0].isTotal).toBe(true);
    expect(rows[542].isTotal).toBe(false);
    expect(rows[0].values).toEqual(['2019', '01/01/2019 to 31/12/2019', 'National', 'E92000001', 'National', 'All registered patients in England', 'Person', 66.4, 65.7, 67.1, 55001868, 33457]);
    expect(rows[542].row).toBe(561);
    expect(rows[542].values.slice(3, 6)).toEqual(['E38000137', '10R', 'NHS Portsmouth CCG']);
  });
});
