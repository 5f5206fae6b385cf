/**
 * Whole-file accounting (issue 10): every source cell that holds a value is in exactly one
 * extracted row and column — with the same value — or is listed once by the extraction as a header,
 * title, metadata, note, omitted row (with its reason), chart helper, or part of a skipped sheet.
 *
 * The source is read independently of the extraction: workbooks cell by cell with SheetJS alone
 * (no grid, no layout code of ours), CSVs with Python's own csv module. A cell "holds a value" when
 * it is not empty and not only spaces. Counts per file are printed at the end.
 */
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFile, readTable, type Cell, type FileExtraction, type TableRow } from '../../lib/sheets/index.ts';
import { SAMPLES, sample } from './helpers.ts';

XLSX.set_cptable(cptable);

function sampleFiles(dir = SAMPLES): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) {
      if (f !== 'pages') out.push(...sampleFiles(p));
    } else if (/\.(csv|xlsx|xls|ods)$/i.test(f)) out.push(relative(SAMPLES, p));
  }
  return out;
}

/** One source cell: where, and its raw value as SheetJS or Python's csv reads it. */
interface SourceCell {
  sheet: string;
  r: number; // 1-based row / CSV line
  c: number; // 0-based column / field
  t: string; // SheetJS type, or 's' for CSV fields
  v: unknown;
}

const key = (sheet: string, r: number, c: number) => `${sheet}\u0000${r}\u0000${c}`;

function workbookCells(path: string): SourceCell[] {
  const wb = XLSX.read(readFileSync(path), { dense: true, cellDates: false });
  const out: SourceCell[] = [];
  for (const sheet of wb.SheetNames) {
    const data = ((wb.Sheets[sheet] as unknown as { '!data'?: (XLSX.CellObject | undefined)[][] })['!data'] ?? []) as (XLSX.CellObject | undefined)[][];
    data.forEach((row, r) =>
      row?.forEach((x, c) => {
        if (!x || x.t === 'z' || x.v === undefined || (typeof x.v === 'string' && x.v.trim() === '')) return;
        out.push({ sheet, r: r + 1, c, t: x.t, v: x.v });
      }),
    );
  }
  return out;
}

const PY_CSV = `
import csv, io, json, sys
data = open(sys.argv[1], 'rb').read()
try:
    text = data.decode('utf-8-sig')
except UnicodeDecodeError:
    text = data.decode('cp1252')
reader = csv.reader(io.StringIO(text, newline=''))
out, start = [], 1
for rec in reader:
    out.append([start, rec])
    start = reader.line_num + 1
json.dump(out, sys.stdout)
`;

function csvCells(path: string): SourceCell[] {
  const records = JSON.parse(execFileSync('python3', ['-c', PY_CSV, path], { maxBuffer: 1 << 30 }).toString()) as [number, string[]][];
  const out: SourceCell[] = [];
  for (const [line, fields] of records) fields.forEach((v, c) => v.trim() !== '' && out.push({ sheet: '', r: line, c, t: 's', v }));
  return out;
}

/** Expands 'B9:AC9' / 'B203' into (row, column) pairs. */
function expand(range: string): [number, number][] {
  const { s, e } = XLSX.utils.decode_range(range);
  const out: [number, number][] = [];
  for (let r = s.r; r <= e.r; r++) for (let c = s.c; c <= e.c; c++) out.push([r + 1, c]);
  return out;
}

const excelSerial = (d: Date) => (d.getTime() - Date.UTC(1899, 11, 30)) / 86400000;
const digits = (x: unknown) => String(x).replace(/[^0-9.]/g, '').replace(/\.0+$|(\.\d*?)0+$/, '$1');

/** Whether the extracted value (with its annotation) is what the source cell holds. */
function sameValue(src: SourceCell, value: Cell, note: string | undefined): boolean {
  if (note !== undefined) {
    const text = String(src.v).trim();
    if (value === null) return note === text;
    return text.toLowerCase().includes(note.split(' ')[0].toLowerCase()) && digits(text).includes(digits(value));
  }
  if (src.t === 'n') return value instanceof Date ? Math.abs(excelSerial(value) - (src.v as number)) < 1e-6 : value === src.v;
  if (src.t === 'b') return value === src.v;
  if (src.t === 'e') return typeof value === 'string' && value.startsWith('#');
  return typeof value === 'string' ? value === String(src.v).trim() : String(value) === String(src.v).trim();
}

interface Tally {
  file: string;
  cells: number;
  data: number;
  listed: Record<string, number>;
  unaccounted: string[];
  twice: string[];
  wrong: string[];
}

async function account(rel: string): Promise<Tally> {
  const file = sample(rel);
  const x: FileExtraction = await describeFile(file);
  const isCsv = x.format === 'csv';
  const source = isCsv ? csvCells(file.path) : workbookCells(file.path);
  const bySource = new Map(source.map((s) => [key(s.sheet, s.r, s.c), s]));
  const claims = new Map<string, string[]>();
  const claim = (k: string, what: string) => bySource.has(k) && (claims.get(k) ?? claims.set(k, []).get(k)!).push(what);
  const tally: Tally = { file: rel, cells: source.length, data: 0, listed: {}, unaccounted: [], twice: [], wrong: [] };

  for (const t of x.tables) {
    const sheet = t.sheet ?? '';
    const cols = t.columns.map((c) => (isCsv ? Number(c.sourceColumn) - 1 : XLSX.utils.decode_col(c.sourceColumn)));
    for await (const row of readTable(file, t) as AsyncIterable<TableRow>) {
      cols.forEach((c, i) => {
        const k = key(sheet, row.row, c);
        const src = bySource.get(k);
        if (!src) return; // an empty source cell (a value filled down from a merge, or null)
        claim(k, `data ${t.key}`);
        if (!sameValue(src, row.values[i], row.annotations?.[i])) tally.wrong.push(`${sheet}!${XLSX.utils.encode_cell({ r: row.row - 1, c })}: ${JSON.stringify(src.v)} → ${JSON.stringify(row.values[i])}`);
      });
    }
    for (const o of t.omittedRows ?? []) for (const r of o.rows) for (const s of source) if (isCsv && s.r === r) claim(key('', r, s.c), `omitted: ${o.reason}`);
    if (isCsv) for (const r of t.headerRows) for (const s of source) if (s.r === r) claim(key('', r, s.c), 'header');
  }
  for (const part of x.otherCells ?? []) for (const range of part.cells) for (const [r, c] of expand(range)) claim(key(part.sheet, r, c), `${part.role}${part.role === 'omitted' ? `: ${part.reason}` : ''}`);
  // A skipped entry naming a sheet that has tables is a part of it (its cells are in otherCells); otherwise the whole sheet is skipped.
  const withTables = new Set(x.tables.map((t) => t.sheet));
  for (const s of x.skipped) {
    if (s.sheet === undefined || withTables.has(s.sheet)) continue;
    for (const cell of source) if (cell.sheet === s.sheet) claim(key(cell.sheet, cell.r, cell.c), `skipped sheet: ${s.reason}`);
  }

  for (const s of source) {
    const k = key(s.sheet, s.r, s.c);
    const got = claims.get(k) ?? [];
    const where = `${s.sheet}!${XLSX.utils.encode_cell({ r: s.r - 1, c: s.c })} ${JSON.stringify(s.v).slice(0, 60)}`;
    if (!got.length) tally.unaccounted.push(where);
    else if (got.length > 1) tally.twice.push(`${where}: ${got.join(' + ')}`);
    else if (got[0].startsWith('data ')) tally.data++;
    else {
      const role = got[0].replace(/:.*$/, '');
      tally.listed[role] = (tally.listed[role] ?? 0) + 1;
    }
  }
  return tally;
}

const tallies: Tally[] = [];
afterAll(() => {
  const lines = tallies.map((t) => `${t.file}: ${t.cells} cells = ${t.data} in tables + ${Object.entries(t.listed).map(([k, n]) => `${n} ${k}`).join(' + ') || '0 listed'}; ${t.unaccounted.length} unaccounted`);
  console.log(`Cell accounting per sample file:\n${lines.join('\n')}`);
});

describe('every cell of every sample file is extracted once, with its value, or listed with a reason', () => {
  for (const rel of sampleFiles()) {
    it(rel, async () => {
      const t = await account(rel);
      tallies.push(t);
      expect(t.unaccounted.slice(0, 20)).toEqual([]);
      expect(t.twice.slice(0, 20)).toEqual([]);
      expect(t.wrong.slice(0, 20)).toEqual([]);
      expect(t.data).toBeGreaterThan(0);
      expect(t.data + Object.values(t.listed).reduce((a, b) => a + b, 0)).toBe(t.cells);
    }, 120_000);
  }
});
