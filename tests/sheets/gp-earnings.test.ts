/**
 * GP Earnings and Expenses time series (GSS accessible-spreadsheet style, 31 sheets). Expected values
 * from a throwaway SheetJS dump: captions on rows 7/21/34/48/62/72/83/97/111/124 of England Summary
 * Results, header of E1 on rows 8-9, its data on rows 10-18; 7a's data ends on row 56 with a phantom
 * used range reaching column XES.
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

  it('E1: footnote marks removed from names, money and percent strings are numbers', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, 'England Summary Results#1');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([[8, 9], 10, 18, 9]);
    expect(t.caption).toBe('Table E1- GPMS contractor GPs - average earnings and expenses by contract type');
    expect(t.columns.map((c) => c.name)).toEqual(['Contract Type', 'Year', 'Report Population', 'Gross Earnings', 'Total Expenses', 'Income Before Tax', 'Income Before Tax Change', 'Expenses to Earnings Ratio']);
    expect(t.columns[0].rawHeader).toBe('Contract Type [note 28]');
    expect(t.columns[4].rawHeader).toBe('Mean | Total Expenses');
    expect(t.columns.map((c) => c.type)).toEqual(['text', 'text', 'integer', 'numeric', 'numeric', 'numeric', 'text', 'text']);
    const rows = await collect(file, t);
    expect(rows[0].values.slice(0, 4)).toEqual(['GPMS', '2021/22', 18350, '£482,400']);
    expect(rows[1].values[0]).toBe('GPMS'); // vertical merge A10:A12 filled down
    expect(toPgText(rows[0].values[3], 'numeric').text).toBe('482400');
    expect(toPgText(rows[2].values[3], 'numeric').text).toBe('2.7');
    expect(toPgText(rows[2].values[5], 'numeric').text).toBe('-8.6');
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
