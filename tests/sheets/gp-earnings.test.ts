/**
 * GP Earnings and Expenses time series (GSS accessible-spreadsheet style, 31 sheets). Expected values
 * from a throwaway SheetJS dump: captions on rows 7/21/34/48/62/72/83/97/111/124 of England Summary
 * Results, header of E1 on rows 8-9, its data on rows 10-18 where rows 12/15/18 are `Change` rows
 * (`+0`, `+2.7%`, `+3.5 Percentage Points`); E5 data on 65-70 where 66/68/70 are bracketed shares;
 * 1c is one table (A8:Y224) whose rows 15, 24, 33 … hold `now in "Other"` in every year from
 * 2006/07; 7a's data ends on row 56 with a phantom used range reaching column XES.
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { collect, sample, table } from './helpers.ts';

const file = sample('gp-earnings-expenses/gpearnextime_202223.xlsx');

describe('GP earnings and expenses workbook (xlsx, stacked tables)', () => {
  it('skips contents/definitions/notes and finds ten stacked tables in England Summary Results', async () => {
    const x = await describeFile(file);
    expect(x.skipped).toEqual([
      { sheet: 'Contents', reason: 'contents/notes sheet' },
      { sheet: 'Definitions and Changes', reason: 'contents/notes sheet' },
      { sheet: 'Notes', reason: 'contents/notes sheet' },
    ]);
    const summary = x.tables.filter((t) => t.sheet === 'England Summary Results');
    expect(summary.map((t) => t.caption?.slice(0, 9).trim())).toEqual(['Table E1-', 'Table E2', 'Table E3', 'Table E4', 'Table E5', 'Table E6', 'Table E7', 'Table E8', 'Table E9', 'Table E10']);
    expect(summary.map((t) => t.headerRows[t.headerRows.length - 1])).toEqual([9, 23, 36, 50, 64, 74, 85, 99, 113, 126]);
    // Sheet names keep their trailing spaces.
    expect(x.tables.some((t) => t.sheet === '2a. GPMS by Age & Gender ')).toBe(true);
  });

  it('E1: footnote marks removed from names, money strings are numbers, Change rows left out', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'England Summary Results#1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[8, 9], 10, 17, 6]);
    expect(t.caption).toBe('Table E1- GPMS contractor GPs - average earnings and expenses by contract type');
    expect(t.columns.map((c) => c.name)).toEqual(['Contract Type', 'Year', 'Report Population', 'Gross Earnings', 'Total Expenses', 'Income Before Tax', 'Income Before Tax Change', 'Expenses to Earnings Ratio']);
    expect(t.columns[0].rawHeader).toBe('Contract Type [note 28]');
    expect(t.columns[4].rawHeader).toBe('Mean | Total Expenses');
    // Without the Change rows (+2.7% under money, "+3.5 Percentage Points" under a ratio) no column is mixed.
    expect(t.columns.map((c) => c.type)).toEqual(['text', 'text', 'integer', 'integer', 'integer', 'integer', 'text', 'numeric']);
    expect(t.warnings).toEqual(['3 derived row(s) left out (rows 12, 15, 18): changes or shares in other units than their columns']);
    const rows = await collect(file, t);
    expect(rows.map((r) => r.row)).toEqual([10, 11, 13, 14, 16, 17]);
    expect(rows[0].values.slice(0, 4)).toEqual(['GPMS', '2021/22', 18350, '£482,400']);
    expect(rows[1].values).toEqual(['GPMS', '2022/23', 18350, '£495,400', '£355,200', '£140,200', 'SIG', 0.717]); // A10:A12 filled down
    expect(toPgText(rows[0].values[3], 'integer').text).toBe('482400');
    expect(rows[5].values).toEqual(['PMS', '2022/23', 4550, '£519,600', '£378,000', '£141,500', 'SIG', 0.728]);
  });

  it('E5: rows of bracketed shares under the money rows are left out', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'England Summary Results#5');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[63, 64], 65, 69, 3]);
    expect(t.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'Contract Type:text', 'Report Population:integer', 'Total Expenses:integer', 'Office and General Business:integer', 'Premises:integer',
      'Employee:integer', 'Car and Travel:integer', 'Interest:integer', 'Other:integer', 'Net Capital Allowancess:integer',
    ]);
    const rows = await collect(file, t);
    expect(rows.map((r) => r.values)).toEqual([
      ['GPMS', 18350, '£355,200', '£22,200', '£43,900', '£235,600', '£1,000', '£3,300', '£47,200', '£2,000'],
      ['GMS', 13800, '£347,700', '£22,100', '£41,800', '£227,600', '£1,000', '£3,100', '£50,000', '£2,100'],
      ['PMS', 4550, '£378,000', '£22,300', '£50,200', '£259,800', '£1,000', '£4,200', '£38,700', '£1,900'],
    ]);
  });

  it('1c: a data row of words ("now in Other") does not start a new table', async () => {
    const x = await describeFile(file);
    const in1c = x.tables.filter((t) => t.sheet === '1c. Contractor Exp. by country');
    expect(in1c).toHaveLength(1); // "This worksheet contains one table."
    const t = in1c[0];
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount, t.warnings]).toEqual([[8], 9, 224, 216, []]);
    expect(t.columns).toHaveLength(25);
    expect(t.columns.slice(0, 5).map((c) => `${c.sourceColumn}:${c.name}:${c.type}`)).toEqual(['A:Country:text', 'B:Contract Type:text', 'C:Practice Type:text', 'D:Category:text', 'E:2002/03:integer']);
    // Years with "now in \"Other\"" notes in some rows are text: the note is kept, nothing is erased.
    expect(t.columns[8]).toMatchObject({ name: '2006/07', type: 'text' });
    const rows = await collect(file, t);
    expect(rows[6].row).toBe(15);
    expect(rows[6].values.slice(0, 9)).toEqual(['England', 'GPMS', 'All practices', 'Depreciation/Loss Profit On Sale', 1400, 1400, 1300, ':', 'now in "Other"']);
    expect(rows[215].row).toBe(224);
    expect(rows[215].values.slice(0, 11)).toEqual(['Northern Ireland', 'GMS', 'All Non-dispensing', 'Net Capital Allowances', 2600, 2300, 'c', ':', 'c', 'c', 'c']);
  });

  it('bounds a sheet with a phantom 16,000-column used range by its real content', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, '7a. Salaried by Country #1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow]).toEqual([[8], 9, 56]);
    expect(t.columns.slice(0, 3).map((c) => c.name)).toEqual(['Country', 'Contract Type', 'Category']);
    expect(t.columns.length).toBeLessThan(40);
    const d = t.columns.find((c) => c.sourceColumn === 'D')!;
    expect(d).toMatchObject({ name: '2006/07', type: 'integer' });
    expect(d.markers[':']).toBeGreaterThan(0);
  });
});
