/**
 * Group labels assigned to the columns they span, not to the cell they sit in. The real case is GP
 * Earnings 1b/7b (each year typed over the middle column of its GDP/RPI/CPI triple, no merges);
 * expected values from a SheetJS dump of the raw cells: 1b row 10 holds the years in D, G, J … BO,
 * row 11 `Deflator ` in B and GDP/RPI/CPI in C..BP, row 12 England's Report Population (C..E 25950,
 * F..H 26150); 7b the same from row 9 with 2006/07 in D. The synthetic sheets put labels centred (or
 * first) over blocks of 2, 3 and 4 leaves, with and without merges.
 */
import * as XLSX from '@e965/xlsx';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { col, collect, sample, table } from './helpers.ts';

const file = sample('gp-earnings-expenses/gpearnextime_202223.xlsx');
const dir = mkdtempSync(join(tmpdir(), 'header-spans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GP earnings real-terms sheets: year labels over the middle of their GDP/RPI/CPI triple', () => {
  it('1b: every GDP column has its own year; column B is the Category', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, '1b. GPMS Contractor REAL TERMS#1');
    const names = t.columns.map((c) => c.name);
    expect(names.slice(0, 8)).toEqual(['Country', 'Category', '2002/03 - GDP', '2002/03 - RPI', '2002/03 - CPI', '2003/04 - GDP', '2003/04 - RPI', '2003/04 - CPI']);
    expect(names[names.length - 3]).toBe('2022/23 - GDP');
    expect(t.columns[names.length - 3].sourceColumn).toBe('BN');
    expect(t.columns[1]).toMatchObject({ sourceColumn: 'B', rawHeader: 'Category | Deflator ' });
    // 22 years × 3 deflators, each year once per deflator (2014/15 is published twice, before and after note 4).
    for (const d of ['GDP', 'RPI', 'CPI']) expect(names.filter((n) => n.endsWith(` - ${d}`) || n.endsWith(` - ${d} (2)`))).toHaveLength(22);
    const rows = await collect(file, t);
    const england = rows.find((r) => r.values[0] === 'England' && r.values[1] === 'Report Population')!;
    expect(england.row).toBe(12);
    expect(col(t, england.values, '2002/03 - GDP')).toBe(25950);
    expect(col(t, england.values, '2003/04 - GDP')).toBe(26150);
    expect(col(t, england.values, '2003/04 - CPI')).toBe(26150);
    expect(col(t, england.values, '2004/05 - GDP')).toBe(27350);
    const gross = rows.find((r) => r.values[0] === 'England' && r.values[1] === 'Gross Earnings')!;
    expect([col(t, gross.values, '2003/04 - GDP'), col(t, gross.values, '2003/04 - RPI'), col(t, gross.values, '2003/04 - CPI')]).toEqual([330100, 408900, 349300]);
  });

  it('7b: the same layout, 2006/07 onwards', async () => {
    const x = await describeFile(file);
    const t = table(x.tables, '7b. Sal by Country REAL TERMS#1');
    const names = t.columns.map((c) => c.name);
    expect(names.slice(0, 6)).toEqual(['Country', 'Category', '2006/07 - GDP', '2006/07 - RPI', '2006/07 - CPI', '2007/08 - GDP']);
    const rows = await collect(file, t);
    const england = rows.find((r) => r.values[0] === 'England' && r.values[1] === 'Gross Employment Earnings')!;
    expect(england.row).toBe(12);
    expect([col(t, england.values, '2006/07 - GDP'), col(t, england.values, '2007/08 - GDP'), col(t, england.values, '2022/23 - CPI')]).toEqual([67700, 69600, 59600]);
  });
});

/** A sheet: row 1 `Area` + labels, row 2 the leaves, then two data rows; `at` is each label's offset inside its block. */
async function layout(width: number, at: number, leaves: string[], merged: boolean) {
  const years = ['Y1', 'Y2', 'Y3'];
  const top: (string | null)[] = ['Area'];
  const leafRow: (string | null)[] = [null];
  years.forEach((y, b) => {
    for (let k = 0; k < width; k++) {
      top.push(k === (merged ? 0 : at) ? y : null);
      leafRow.push(leaves[(b * width + k) % leaves.length]);
    }
  });
  const data = ['North', 'South'].map((a, r) => [a, ...Array.from({ length: width * 3 }, (_, i) => (r + 1) * 100 + i)]);
  const ws = XLSX.utils.aoa_to_sheet([top, leafRow, ...data]);
  if (merged) ws['!merges'] = years.map((_, b) => ({ s: { r: 0, c: 1 + b * width }, e: { r: 0, c: width * (b + 1) } }));
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Data');
  const path = join(dir, `w${width}-a${at}-${leaves.length}-${merged ? 'm' : 'u'}.xlsx`);
  writeFileSync(path, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }));
  const x = await describeFile({ path, name: 'layout.xlsx' });
  expect(x.tables).toHaveLength(1);
  return x.tables[0];
}

/** What each column's raw header must be: block b of `width` columns is headed by year b. */
function expected(width: number, leaves: string[]): string[] {
  return ['Area', ...Array.from({ length: width * 3 }, (_, i) => `Y${Math.floor(i / width) + 1} | ${leaves[i % leaves.length]}`)];
}

describe('synthetic group rows: labels over blocks of 2, 3 and 4 leaf columns', () => {
  const repeated: Record<number, string[]> = { 2: ['Male', 'Female'], 3: ['GDP', 'RPI', 'CPI'], 4: ['Q1', 'Q2', 'Q3', 'Q4'] };
  const distinct = (width: number) => Array.from({ length: width * 3 }, (_, i) => `Measure ${i + 1}`);

  for (const width of [2, 3, 4]) {
    // Centred: the middle column of 3, the second (or third) of 2 and 4; and left-aligned for comparison.
    const positions = width === 3 ? [0, 1] : width === 2 ? [0, 1] : [0, 1, 2];
    for (const at of positions) {
      it(`unmerged labels at offset ${at} of ${width}: repeated leaves`, async () => {
        const t = await layout(width, at, repeated[width], false);
        expect(t.columns.map((c) => c.rawHeader)).toEqual(expected(width, repeated[width]));
        expect(t.columns.map((c) => c.name).slice(1, 1 + width)).toEqual(repeated[width].map((l) => `Y1 - ${l}`));
      });
      it(`unmerged labels at offset ${at} of ${width}: distinct leaves`, async () => {
        const leaves = distinct(width);
        const t = await layout(width, at, leaves, false);
        expect(t.columns.map((c) => c.rawHeader)).toEqual(expected(width, leaves));
      });
    }
    it(`merged labels over ${width} columns, repeated and distinct leaves`, async () => {
      const a = await layout(width, 0, repeated[width], true);
      expect(a.columns.map((c) => c.rawHeader)).toEqual(expected(width, repeated[width]));
      const leaves = distinct(width);
      const b = await layout(width, 0, leaves, true);
      expect(b.columns.map((c) => c.rawHeader)).toEqual(expected(width, leaves));
    });
  }

  it('the values stay under their columns', async () => {
    const t = await layout(3, 1, ['GDP', 'RPI', 'CPI'], false);
    expect(t.rowCount).toBe(2);
    expect(t.columns[4]).toMatchObject({ name: 'Y2 - GDP', sourceColumn: 'E', range: { min: '103', max: '203' } });
  });
});
