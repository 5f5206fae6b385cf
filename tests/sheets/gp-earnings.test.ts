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

  it('E1: footnote marks removed from names, Change rows kept and flagged derived', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'England Summary Results#1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[8, 9], 10, 18, 9]);
    expect(t.caption).toBe('Table E1- GPMS contractor GPs - average earnings and expenses by contract type');
    expect(t.columns.map((c) => c.name)).toEqual(['Contract Type', 'Year', 'Report Population', 'Gross Earnings', 'Total Expenses', 'Income Before Tax', 'Income Before Tax Change', 'Expenses to Earnings Ratio']);
    expect(t.columns[0].rawHeader).toBe('Contract Type [note 28]');
    expect(t.columns[4].rawHeader).toBe('Mean | Total Expenses');
    expect(t.rowKinds).toEqual({ detail: 6, total: 0, subtotal: 0, derived: 3 });
    expect(t.warnings).toEqual([]);
    const rows = await collect(file, t);
    expect(rows.map((r) => [r.row, r.kind])).toEqual([
      [10, 'detail'], [11, 'detail'], [12, 'derived'], [13, 'detail'], [14, 'detail'], [15, 'derived'], [16, 'detail'], [17, 'detail'], [18, 'derived'],
    ]);
    expect(rows[0].values.slice(0, 4)).toEqual(['GPMS', '2021/22', 18350, '£482,400']);
    expect(rows[1].values).toEqual(['GPMS', '2022/23', 18350, '£495,400', '£355,200', '£140,200', 'SIG', 0.717]); // A10:A12 filled down
    expect(toPgText(rows[0].values[3], 'integer').text).toBe('482400');
    // The published Change row, as published: +2.7% is a change in percent, +0 a change in GPs.
    expect(rows[2].values.slice(0, 6)).toEqual(['GPMS', 'Change', '+0', '+2.7%', '+8.0%', '-8.6%']);
    expect(rows[2].isTotal).toBe(false);
    expect(toPgText(rows[2].values[3], 'numeric').text).toBe('2.7');
    expect(rows[8].values.slice(0, 6)).toEqual(['PMS', 'Change', '-50', '+1.3%', '+5.7%', '-9.0%']);
    // Units other than the column's are annotations: the ratio's change is 3.5 percentage points.
    expect(t.columns.map((c) => c.type)).toEqual(['text', 'text', 'integer', 'numeric', 'numeric', 'numeric', 'text', 'numeric']);
    expect(rows[2].values[7]).toBe('+3.5');
    expect(toPgText(rows[2].values[7], 'numeric').text).toBe('3.5');
    expect(rows[2].annotations).toEqual({ 3: '%', 4: '%', 5: '%', 7: 'percentage points' });
    expect(rows[1].annotations).toBeUndefined();
    expect(t.columns[7].annotations).toEqual({ 'percentage points': 3 });
    expect(rows[7].values).toEqual(['PMS', '2022/23', 4550, '£519,600', '£378,000', '£141,500', 'SIG', 0.728]);
  });

  it('E5, E6: rows of bracketed shares under the money rows are kept as derived; All GPs is a total', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'England Summary Results#5');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[63, 64], 65, 70, 6]);
    expect(t.columns.map((c) => c.name)).toEqual([
      'Contract Type', 'Report Population', 'Total Expenses', 'Office and General Business', 'Premises', 'Employee', 'Car and Travel', 'Interest', 'Other', 'Net Capital Allowancess',
    ]);
    const rows = await collect(file, t);
    // The shares are published as "(6.2%)": the bracketed percentage is the number 6.2 with the unit % as its annotation.
    expect(rows.map((r) => [r.row, r.kind, r.values])).toEqual([
      [65, 'detail', ['GPMS', 18350, '£355,200', '£22,200', '£43,900', '£235,600', '£1,000', '£3,300', '£47,200', '£2,000']],
      // A65:A66 and B65:B66 are merged over the value row and its share row.
      [66, 'derived', ['GPMS', 18350, '100.0%', '6.2%', '12.4%', '66.3%', '0.3%', '0.9%', '13.3%', '0.6%']],
      [67, 'detail', ['GMS', 13800, '£347,700', '£22,100', '£41,800', '£227,600', '£1,000', '£3,100', '£50,000', '£2,100']],
      [68, 'derived', ['GMS', 13800, '100.0%', '6.4%', '12.0%', '65.5%', '0.3%', '0.9%', '14.4%', '0.6%']],
      [69, 'detail', ['PMS', 4550, '£378,000', '£22,300', '£50,200', '£259,800', '£1,000', '£4,200', '£38,700', '£1,900']],
      [70, 'derived', ['PMS', 4550, '100.0%', '5.9%', '13.3%', '68.7%', '0.3%', '1.1%', '10.2%', '0.5%']],
    ]);
    expect(rows[1].annotations).toEqual({ 2: '%', 3: '%', 4: '%', 5: '%', 6: '%', 7: '%', 8: '%', 9: '%' });
    expect(t.columns.map((c) => c.type)).toEqual(['text', 'integer', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric']);
    expect(toPgText(rows[1].values[3], 'numeric').text).toBe('6.2');
    const e6 = await collect(file, table(x.tables, 'England Summary Results#6'));
    expect(e6.map((r) => [r.row, r.values[0], r.kind])).toEqual([
      [75, 'All GPs', 'total'], [76, 'All GPs', 'derived'], [77, 'Dispensing GPs', 'detail'], [78, 'Dispensing GPs', 'derived'], [79, 'Non-dispensing GPs', 'detail'], [80, 'Non-dispensing GPs', 'derived'],
    ]);
  });

  it('all 34 summary tables keep their 82 Change and share rows, flagged derived', async () => {
    const x = await describeFile(file);
    const summary = x.tables.filter((t) => / Summary Results$/.test(t.sheet!));
    expect(summary).toHaveLength(34);
    expect(summary.reduce((n, t) => n + t.rowKinds.derived, 0)).toBe(82);
    expect(summary.every((t) => !t.warnings.some((w) => /left out/.test(w)))).toBe(true);
  });

  it('N Ireland N3: the all-c share row under suppressed Dispensing GPs is derived, not a second Dispensing GPs row', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'N Ireland Summary Results#3');
    const rows = await collect(file, t);
    const dispensing = rows.filter((r) => r.values[0] === 'Dispensing GPs');
    // Row 35 holds the suppressed figures; row 36 is its share row (A35:A36 merged), all `c`.
    expect(dispensing.map((r) => [r.row, r.kind])).toEqual([[35, 'detail'], [36, 'derived']]);
    expect(dispensing[1].values.slice(2)).toEqual(['c', 'c', 'c', 'c', 'c', 'c', 'c', 'c']);
    expect(rows.filter((r) => r.kind !== 'derived').map((r) => r.values[0])).toEqual(['All GPs', 'Dispensing GPs', 'Non-dispensing GPs']);
  });

  it('1a: England is one nation beside the others (detail); All practices rows are totals', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, '1a. Contractor earn. by country#1');
    const rows = await collect(file, t);
    const country = (r: (typeof rows)[number]) => r.values[0];
    expect(new Set(rows.map(country))).toEqual(new Set(['England', 'Scotland', 'Wales', 'Northern Ireland']));
    for (const r of rows) expect([r.row, r.kind]).toEqual([r.row, r.values[2] === 'All practices' ? 'total' : 'detail']);
    expect(t.rowKinds.total).toBe(rows.filter((r) => r.values[2] === 'All practices').length);
    expect(t.rowKinds.total).toBeGreaterThan(0);
  });

  it('1c: a note in place of a figure ("now in Other") is NULL plus the note; the year columns stay numbers', async () => {
    const x = await describeFile(file);
    const in1c = x.tables.filter((t) => t.sheet === '1c. Contractor Exp. by country');
    expect(in1c).toHaveLength(1); // "This worksheet contains one table."
    const t = in1c[0];
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount, t.warnings]).toEqual([[8], 9, 224, 216, []]);
    expect(t.columns).toHaveLength(25);
    expect(t.columns.slice(0, 5).map((c) => `${c.sourceColumn}:${c.name}:${c.type}`)).toEqual(['A:Country:text', 'B:Contract Type:text', 'C:Practice Type:text', 'D:Category:text', 'E:2002/03:integer']);
    // Every one of the 21 year columns is a number column; 2005/06 holds only `:` (not available).
    expect(t.columns.slice(4).map((c) => c.type)).toEqual(new Array(21).fill('integer'));
    expect(t.columns[7]).toMatchObject({ name: '2005/06', markers: { ':': 216 } });
    expect(t.columns[8]).toMatchObject({ name: '2006/07', annotations: { 'now in "Other"': 20 }, markers: { c: 36 } });
    const rows = await collect(file, t);
    expect(rows[6].row).toBe(15);
    expect(rows[6].values.slice(0, 9)).toEqual(['England', 'GPMS', 'All practices', 'Depreciation/Loss Profit On Sale', 1400, 1400, 1300, ':', null]);
    expect(rows[6].annotations?.[8]).toBe('now in "Other"');
    expect(Object.keys(rows[6].annotations ?? {})).toHaveLength(17); // 2006/07 to 2022/23
    expect(rows[215].row).toBe(224);
    expect(rows[215].values.slice(0, 11)).toEqual(['Northern Ireland', 'GMS', 'All Non-dispensing', 'Net Capital Allowances', 2600, 2300, 'c', ':', 'c', 'c', 'c']);
    expect(toPgText(rows[215].values[6], 'integer')).toEqual({ text: null, marker: 'c' });
    expect(rows[215].annotations).toBeUndefined();
  });

  it('1a, 7a, 11: revised figures (`£194,800 r`) are numbers with the annotation r', async () => {
    const x = await describeFile(file);
    const a = table(x.tables, '1a. Contractor earn. by country#1');
    const revised = a.columns.find((c) => c.sourceColumn === 'R')!;
    expect(revised).toMatchObject({ name: '2014/15 (2)', rawHeader: '2014/15 [note 4]', type: 'integer', annotations: { r: 20 } });
    const rows = await collect(file, a);
    const scot = rows.find((r) => r.row === 47)!;
    expect(scot.values.slice(0, 4)).toEqual(['Scotland', 'GPMS', 'All practices', 'Gross Earnings']);
    expect(scot.values[revised.index]).toBe('£194,800');
    expect(scot.annotations).toEqual({ [revised.index]: 'r' });
    expect(toPgText(scot.values[revised.index], 'integer').text).toBe('194800');
    const s7 = table(x.tables, '7a. Salaried by Country #1');
    expect(s7.columns.find((c) => c.sourceColumn === 'M')).toMatchObject({ type: 'integer', annotations: { r: 21 } });
    const s11 = table(x.tables, '11. GPMS Salaried by NHS ECR#1');
    expect(s11.columns.find((c) => c.sourceColumn === 'G')).toMatchObject({ type: 'integer', annotations: { r: 12 } });
    const r11 = (await collect(file, s11)).find((r) => r.row === 10)!;
    expect([r11.values[0], r11.values[6], r11.annotations]).toEqual(['North of England', '£52,000', { 6: 'r' }]);
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
