/**
 * Rule 2 of table detection (layout.ts): the header block above a leaf header row — group rows,
 * the table's column span, the caption cell — and the names of the columns read from it.
 */
import { cellKey, columnLetter, type Grid } from './grid.ts';
import { inferSpans, type LabelSpan } from './header-spans.ts';
import { combineGroupNames } from './names.ts';
import type { SheetFacts } from './sheet-facts.ts';
import { cleanHeader } from './values.ts';

/** The header rows of one table and the column span they cover. */
export interface HeaderBlock {
  /** The leaf header row. */
  leaf: number;
  /** Group rows top to bottom, then the leaf row. */
  rows: number[];
  /** First and last column of the table. */
  c0: number;
  c1: number;
  /** Group rows whose lone first-column cell is the table's caption, not a group. */
  captionRows: Set<number>;
  /** Text of the first such caption cell. */
  caption?: string;
  /** Per group row: the spans of its unmerged labels that are not left-aligned, by column covered (header-spans.ts). */
  spans: Map<number, Map<number, LabelSpan>>;
  /** First column under a group label spanning several columns (merged or inferred); Infinity when none. */
  firstGroupColumn: number;
}

export function readHeader(sheet: SheetFacts, h: number, region: number): HeaderBlock {
  const upper = groupHeaderRows(sheet, h, region);
  const rows = [...upper, h];
  const { c0, c1 } = extendToData(sheet, h, headerSpan(sheet.grid, rows));
  const { captionRows, caption } = captionCells(sheet, h, upper, c0);
  const spans = new Map<number, Map<number, LabelSpan>>();
  let firstGroupColumn = Infinity;
  upper.forEach((u, i) => {
    const inferred = inferSpans(sheet, u, rows.slice(i + 1), c0, c1);
    if (inferred.size) spans.set(u, inferred);
    for (const c of inferred.keys()) firstGroupColumn = Math.min(firstGroupColumn, c);
    for (const c of sheet.cols[u]) {
      const m = sheet.grid.anchors.get(cellKey(u, c));
      if (m && m.c1 > m.c0 && !captionRows.has(u)) firstGroupColumn = Math.min(firstGroupColumn, m.c0);
    }
  });
  return { leaf: h, rows, c0, c1, captionRows, caption, spans, firstGroupColumn };
}

/** The upper (group) header rows: up to 3 text-only rows directly above the leaf row, top to bottom. */
function groupHeaderRows(sheet: SheetFacts, h: number, region: number): number[] {
  const { stats, cols } = sheet;
  const upper: number[] = [];
  for (let u = h - 1; u >= region && upper.length < 3; u--) {
    const s = stats[u];
    if (!s.n || sheet.isMeta(u) || s.other > 0) break;
    // A group row has a cell right of the leaf row's first column, or above a column whose leaf is empty (a tall leaf such as RTT "Year").
    if (!cols[u].some((c) => c > stats[h].first || !sheet.cell(h, c))) break;
    upper.unshift(u);
  }
  return upper;
}

/** Span of the table: all header cells, merges anchored in header rows included. */
function headerSpan(grid: Grid, headerRows: number[]): { c0: number; c1: number } {
  let c0 = Infinity;
  let c1 = -1;
  for (const hr of headerRows) {
    for (const c of grid.cols[hr]) {
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, grid.anchors.get(cellKey(hr, c))?.c1 ?? c);
    }
  }
  return { c0, c1 };
}

/**
 * A column whose header cell is empty still belongs to the table when the first data row has a
 * value there, next to the span (a header `| id | long text |` over `| 1 | a | b |`): without it the
 * column's values would be in no table at all. Only columns touching the span are taken; a gap
 * keeps side notes and chart helpers apart.
 */
function extendToData(sheet: SheetFacts, h: number, span: { c0: number; c1: number }): { c0: number; c1: number } {
  let { c0, c1 } = span;
  const d = h + 1 < sheet.nRows && sheet.stats[h + 1].n ? h + 1 : h + 2;
  if (d >= sheet.nRows) return span;
  while (c0 > 0 && sheet.cell(d, c0 - 1)) c0--;
  while (sheet.cell(d, c1 + 1)) c1++;
  return { c0, c1 };
}

/** A lone cell in the first column of a group row with merged/other groups is the caption, not a group. */
function captionCells(sheet: SheetFacts, h: number, upper: number[], c0: number): { captionRows: Set<number>; caption?: string } {
  const captionRows = new Set<number>();
  let caption: string | undefined;
  for (const u of upper) {
    const first = sheet.cols[u][0];
    if (first === c0 && sheet.cols[u].length > 1 && sheet.cell(h, first) && !sheet.grid.anchors.has(cellKey(u, first))) {
      captionRows.add(u);
      caption ??= sheet.textAt(u, first)?.trim();
    }
  }
  return { captionRows, caption };
}

// ── Column names ─────────────────────────────────────────────────────────────────────────────────

/** Raw headers (header rows joined with ' | ') and cleaned, group-combined names of the columns. */
export function nameColumns(sheet: SheetFacts, header: HeaderBlock, columns: number[]): { rawHeaders: string[]; names: string[] } {
  const parts = columns.map((c) => headerParts(sheet, header, c));
  const rawHeaders = parts.map((p) => p.map((x) => x.raw).join(' | '));
  const names = combineGroupNames(
    parts.map((p) => p.filter((x) => !x.label).map((x) => cleanHeader(x.raw)).filter((x, i, a) => x && x !== a[i - 1])),
    (i) => `Column ${columnLetter(columns[i])}`,
  );
  return { rawHeaders, names };
}

/** The header texts of one column, top to bottom, caption cells and repeats of the text above left out. */
function headerParts(sheet: SheetFacts, header: HeaderBlock, c: number): { raw: string; label?: boolean }[] {
  const out: { raw: string; label?: boolean }[] = [];
  for (const hr of header.rows) {
    if (header.captionRows.has(hr) && c === sheet.cols[hr][0]) continue;
    const t = headerText(sheet, header, hr, c, hr === header.leaf);
    if (t !== undefined && t.trim() !== '' && (!out.length || out[out.length - 1].raw.trim() !== t.trim())) out.push({ raw: t });
  }
  // A text in the leaf row just left of the first grouped column, under a column already named in a
  // row above, names the leaf row itself (1b: "Deflator" beside GDP/RPI/CPI, under "Category"): it
  // stays in the raw header but does not name the column.
  if (out.length > 1 && c === header.firstGroupColumn - 1 && sheet.textAt(header.leaf, c) !== undefined) out[out.length - 1].label = true;
  return out;
}

/** The header text of one column in one header row: its own cell, the merge covering it, or a carried group cell. */
function headerText(sheet: SheetFacts, header: HeaderBlock, hr: number, c: number, isLeaf: boolean): string | undefined {
  const { grid } = sheet;
  const headerRows = header.rows;
  const own = sheet.textAt(hr, c);
  if (own !== undefined) return own;
  const m = grid.covered.get(cellKey(hr, c));
  if (m) return sheet.textAt(m.r0, m.c0);
  if (isLeaf) return undefined;
  const span = header.spans.get(hr)?.get(c);
  if (span) return sheet.textAt(hr, span.at);
  // Implicit group carry (no merge): the nearest group cell to the left, when this column has a leaf.
  if (headerRows.slice(headerRows.indexOf(hr) + 1).every((lr) => sheet.textAt(lr, c) === undefined && !grid.covered.has(cellKey(lr, c)))) return undefined;
  for (let x = c - 1; x >= header.c0; x--) {
    const t = sheet.textAt(hr, x);
    if (t === undefined) continue;
    if (header.captionRows.has(hr) && x === sheet.cols[hr][0]) return undefined;
    // A label whose span was inferred does not carry past it.
    if (header.spans.get(hr)?.has(x)) return undefined;
    // A merged group cell ends where its merge ends; it does not carry further right.
    if ((grid.anchors.get(cellKey(hr, x))?.c1 ?? c) < c) return undefined;
    const below = headerRows.slice(headerRows.indexOf(hr) + 1).some((lr) => sheet.textAt(lr, x) !== undefined);
    return below ? t : undefined;
  }
  return undefined;
}
