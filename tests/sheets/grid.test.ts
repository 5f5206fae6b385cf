/** Sheet grids are made of SheetJS's own cells, turned in place: turning them again must change nothing. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkbook, sheetToGrid } from '../../lib/sheets/grid.ts';
import { SAMPLES } from './helpers.ts';

describe('sheetToGrid', () => {
  it('gives the same grid when a sheet is turned twice (dates stay dates, no cell is lost)', async () => {
    const path = join(SAMPLES, 'ae-attendances-emergency-admissions/Monthly-AE-Time-Series-January-2024.xls');
    const wb = parseWorkbook(await readFile(path), { file: path });
    const sheet = wb.SheetNames.find((n) => n === 'Activity')!;
    const first = sheetToGrid(wb, sheet);
    const snapshot = first.rows.map((row) => row.map((c) => (c ? [c.cls, c.v instanceof Date ? c.v.toISOString() : c.v] : null)));
    const dates = snapshot.flat().filter((c) => c?.[0] === 'date').length;
    expect(dates).toBeGreaterThan(100); // the month column: Excel serials turned into dates
    const again = sheetToGrid(wb, sheet);
    expect(again.rows.map((row) => row.map((c) => (c ? [c.cls, c.v instanceof Date ? c.v.toISOString() : c.v] : null)))).toEqual(snapshot);
    expect(again.cols).toEqual(first.cols);
  });
});
