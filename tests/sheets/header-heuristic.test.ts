/**
 * Issue 14, hole 6: a header row with an empty cell and a 300-character cell over rows that are
 * mostly words. Such data rows look like headers one by one; they are data because each has the
 * shape of the row below it, and a header never has. Every value must land in a column: none is
 * taken for a header, none is dropped with the empty header cell above it.
 */
import * as XLSX from '@e965/xlsx';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { collect } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'header-heuristic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const long = `${'Description of the measure, '.repeat(11)}end`.slice(0, 300);

function book(sheets: Record<string, unknown[][]>): { path: string; name: string } {
  const wb = XLSX.utils.book_new();
  for (const [name, aoa] of Object.entries(sheets)) XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(aoa), name);
  const path = join(dir, `${Object.keys(sheets).join('-')}.xlsx`);
  writeFileSync(path, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }));
  return { path, name: 'hostile.xlsx' };
}

describe('a header with an empty and a 300-character cell keeps every data row', () => {
  it('wordy data rows under it are data, on every sheet', async () => {
    const aoa = [
      ['name', '', long, 'count'],
      ['alpha', 'beta', 'gamma', 1],
      ['delta', 'epsilon', 'zeta', 2],
      ['eta', 'theta', 'iota', 3],
    ];
    expect(long).toHaveLength(300);
    const file = book({ One: aoa, Two: aoa });
    const x = await describeFile(file);
    expect(x.tables.map((t) => [t.key, t.headerRows, t.rowCount])).toEqual([
      ['One#1', [1], 3],
      ['Two#1', [1], 3],
    ]);
    for (const t of x.tables) {
      expect(t.columns.map((c) => c.name)).toEqual(['name', 'Column B', long, 'count']);
      expect(t.columns[3].type).toBe('integer');
      expect((await collect(file, t)).map((r) => r.values)).toEqual(aoa.slice(1));
    }
  });

  it('a column under an empty header cell at the end of the row is kept', async () => {
    const file = book({ Edge: [[long, 'count', ''], ['alpha', 1, 2], ['beta', 3, 4], ['gamma', 5, 6]] });
    const [t] = (await describeFile(file)).tables;
    expect(t.columns.map((c) => `${c.sourceColumn}:${c.name.slice(0, 11)}`)).toEqual(['A:Description', 'B:count', 'C:Column C']);
    expect((await collect(file, t)).map((r) => r.values)).toEqual([['alpha', 1, 2], ['beta', 3, 4], ['gamma', 5, 6]]);
  });

  it('an all-text sheet keeps the column under the empty header cell', async () => {
    const file = book({ Words: [['name', '', long], ['alpha', 'beta', 'gamma'], ['delta', 'epsilon', 'zeta']] });
    const [t] = (await describeFile(file)).tables;
    expect(t.headerRows).toEqual([1]);
    expect(t.columns.map((c) => c.name)).toEqual(['name', 'Column B', long]);
    expect((await collect(file, t)).map((r) => r.values)).toEqual([['alpha', 'beta', 'gamma'], ['delta', 'epsilon', 'zeta']]);
  });
});
