/**
 * Finding tables inside a sheet grid. NHS sheets put title lines and a `Label:`/value block above
 * the table, headers on row 13 or 14 starting in column B, group header rows with merged (or just
 * left-aligned) group cells, spacer columns created by merges, several tables stacked in one sheet,
 * notes below the data and chart helper columns beside it. The rules, in order:
 *
 * 1. A leaf header row is a row of mostly text (≥2 text cells, ≥75% text) directly followed (at most
 *    one blank row between) by a data row: one with a real share of numbers, dates or markers.
 * 2. Header rows above it (≤3, no blank row between) are group rows when they have a cell right of the
 *    table's first column; a lone cell in the first column is the caption.
 * 3. Data runs until a blank gap not followed by data, a note line, or the next table's header.
 *    Repeated header rows and note lines inside the data are skipped (with a warning); a header-looking
 *    row that repeats the labels of the data row above is data. Derived rows (`Change`, bracketed
 *    shares) are left out with a warning (row-roles.ts).
 * 4. Columns empty in both header and data split side-by-side parts; a side part whose header holds a
 *    number or whose columns are constant is a chart helper and is skipped. Empty columns (spacers
 *    created by merges) are dropped.
 * 5. A `Breakdown`/`Level` column mixing National/Region/organisation rows flags the aggregate levels
 *    as totals (levels.ts).
 */
import type { Cell } from './types.ts';
import { cellKey, columnLetter, type Grid, type GridCell } from './grid.ts';
import { cleanHeader, isTotalLabel, trimText } from './values.ts';
import { combineGroupNames } from './names.ts';
import { isAggregateLevel, LevelCounter, type LevelInfo } from './levels.ts';
import { continuesAbove, INLINE_META_RE, isDerivedRow, LEGEND_RE, NOTE_RE } from './row-roles.ts';

/** A table found in a sheet; rows and columns are 0-based grid indexes. */
export interface DetectedTable {
  headerRows: number[];
  columns: number[];
  rawHeaders: string[];
  names: string[];
  dataRows: number[];
  totals: boolean[];
  caption?: string;
  metadata: Record<string, string>;
  warnings: string[];
  levels?: LevelInfo;
}

/** Everything found in one sheet. */
export interface SheetLayout {
  tables: DetectedTable[];
  /** Parts deliberately not turned into tables (chart helpers beside a table). */
  skipped: string[];
}

interface RowStats {
  n: number;
  text: number;
  other: number;
  first: number;
  last: number;
}

export function detectTables(grid: Grid): SheetLayout {
  const { rows, cols } = grid;
  const nRows = rows.length;
  const stats: RowStats[] = cols.map((cs, r) => {
    let text = 0;
    for (const c of cs) if (rows[r][c]!.cls === 'text') text++;
    return { n: cs.length, text, other: cs.length - text, first: cs[0] ?? -1, last: cs[cs.length - 1] ?? -1 };
  });
  const cell = (r: number, c: number): GridCell | undefined => rows[r]?.[c];
  const textAt = (r: number, c: number): string | undefined => {
    const x = cell(r, c);
    return x && typeof x.v === 'string' ? x.v : x ? String(x.v) : undefined;
  };
  const isMeta = (r: number): boolean => {
    const s = stats[r];
    if (!s || s.n === 0 || s.n > 3) return false;
    const first = cell(r, s.first);
    return first?.cls === 'text' && /^[^:]{1,60}:\s*$/.test(String(first.v)) && s.first === cols[r][0];
  };
  const headerLike = (r: number) => {
    const s = stats[r];
    return s.n >= 2 && s.text >= 2 && s.text >= 0.75 * s.n && !isMeta(r);
  };
  const dataLike = (r: number) => {
    const s = stats[r];
    return s.n >= 1 && s.other >= 1 && s.other >= 0.25 * s.n;
  };
  const nextNonEmpty = (r: number, limit: number) => {
    for (let i = r; i < Math.min(nRows, r + limit); i++) if (stats[i].n) return i;
    return -1;
  };
  const isLeafHeader = (r: number) => {
    if (!headerLike(r)) return false;
    const d = nextNonEmpty(r + 1, 2);
    return d >= 0 && dataLike(d) && !headerLike(d);
  };

  const tables: DetectedTable[] = [];
  const skipped: string[] = [];
  let sheetMeta: Record<string, string> | undefined;
  let regionStart = 0;
  let r = 0;
  while (r < nRows) {
    if (!isLeafHeader(r)) {
      r++;
      continue;
    }
    const built = buildTable(r, regionStart);
    if (!built) {
      r++;
      continue;
    }
    const { table, endRow, side } = built;
    sheetMeta ??= table.metadata;
    table.metadata = { ...sheetMeta, ...table.metadata };
    tables.push(table);
    skipped.push(...side.skippedReasons);
    tables.push(...side.tables);
    regionStart = endRow + 1;
    r = endRow + 1;
  }
  return { tables, skipped };

  function buildTable(h: number, region: number): { table: DetectedTable; endRow: number; side: { tables: DetectedTable[]; skippedReasons: string[] } } | undefined {
    // Upper (group) header rows.
    const upper: number[] = [];
    let captionCell: string | undefined;
    for (let u = h - 1; u >= region && upper.length < 3; u--) {
      const s = stats[u];
      if (!s.n || isMeta(u) || s.other > 0) break;
      // A group row has a cell right of the leaf row's first column, or above a column whose leaf is empty (a tall leaf such as RTT "Year").
      if (!cols[u].some((c) => c > stats[h].first || !cell(h, c))) break;
      upper.unshift(u);
    }
    const headerRows = [...upper, h];
    // Span of the table: all header cells, merges anchored in header rows included.
    let c0 = Infinity;
    let c1 = -1;
    for (const hr of headerRows) {
      for (const c of cols[hr]) {
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, grid.anchors.get(cellKey(hr, c))?.c1 ?? c);
      }
    }
    // A lone cell in the first column of a group row with merged/other groups is the caption, not a group.
    const captionCells = new Set<number>();
    for (const u of upper) {
      const first = cols[u][0];
      if (first === c0 && cols[u].length > 1 && cell(h, first) && !grid.anchors.has(cellKey(u, first))) {
        captionCells.add(u);
        captionCell ??= textAt(u, first)?.trim();
      }
    }
    // Data rows.
    const dataRows: number[] = [];
    const warnings: string[] = [];
    let skippedNotes = 0;
    let repeated = 0;
    const derived: number[] = [];
    const leafTexts = new Map<number, string>();
    for (const c of cols[h]) leafTexts.set(c, String(textAt(h, c)).trim());
    // The leaf texts that are numbers as written: a number cell repeats such a leaf when it equals
    // the number, so data rows need no number-to-text conversion per cell (isRepeatHeader runs on every row).
    const leafNumbers = new Map<number, number>();
    for (const [c, t] of leafTexts) if (t !== '' && String(Number(t)) === t) leafNumbers.set(c, Number(t));
    const repeatsLeaf = (row: number, c: number): boolean => {
      const leaf = leafTexts.get(c);
      if (leaf === undefined) return false;
      const v = rows[row][c]!.v;
      if (typeof v === 'string') return trimText(v) === leaf;
      if (typeof v === 'number') {
        const n = leafNumbers.get(c);
        return n === v || (n !== undefined && Number.isNaN(n) && Number.isNaN(v));
      }
      return String(v).trim() === leaf;
    };
    const inSpan = (row: number) => cols[row].filter((c) => c >= c0 && c <= c1);
    const isNote = (row: number) => {
      const cs = cols[row].filter((c) => c <= c1);
      if (cs.length !== 1) return false;
      const x = cell(row, cs[0])!;
      if (x.cls !== 'text') return false;
      return cs[0] <= c0 ? c1 - c0 >= 2 || NOTE_RE.test(String(x.v).trim()) : NOTE_RE.test(String(x.v).trim());
    };
    const isRepeatHeader = (row: number) => {
      let same = 0;
      let n = 0;
      for (const c of cols[row]) {
        if (c < c0 || c > c1) continue;
        n++;
        if (repeatsLeaf(row, c)) same++;
      }
      return same >= Math.min(3, leafTexts.size) && same >= 0.5 * n;
    };
    let row = h + 1;
    let end = h;
    while (row < nRows) {
      const span = inSpan(row);
      if (!span.length || isNote(row)) {
        // Look past blank and note rows: continue only if real data follows.
        let n = row;
        let notes = 0;
        while (n < nRows && (!inSpan(n).length || isNote(n))) {
          if (isNote(n)) notes++;
          n++;
          if (n - row > 3) break;
        }
        if (n < nRows && inSpan(n).length && !isNote(n) && dataLike(n) && !isLeafHeader(n) && (n - row <= 3)) {
          skippedNotes += notes;
          row = n;
          continue;
        }
        break;
      }
      if (row !== h + 1 && isLeafHeader(row) && !isRepeatHeader(row) && !continuesAbove(grid, row, end, span)) break;
      if (isRepeatHeader(row)) {
        repeated++;
        row++;
        continue;
      }
      if (isDerivedRow(grid, row, span)) {
        derived.push(row);
        end = row;
        row++;
        continue;
      }
      dataRows.push(row);
      end = row;
      row++;
    }
    if (!dataRows.length) return undefined;
    if (skippedNotes) warnings.push(`${skippedNotes} note row(s) inside the table were excluded`);
    if (repeated) warnings.push(`${repeated} repeated header row(s) inside the table were skipped`);
    if (derived.length) {
      const list = derived.length > 6 ? `${derived.slice(0, 6).map((d) => d + 1).join(', ')} …` : derived.map((d) => d + 1).join(', ');
      warnings.push(`${derived.length} derived row(s) left out (rows ${list}): changes or shares in other units than their columns`);
    }

    // Columns with a header or data; empty ones split side parts or are spacers.
    const hasHeader = (c: number) => headerRows.some((hr) => (cell(hr, c) && !captionCells.has(hr)) || grid.covered.has(cellKey(hr, c)));
    const hasData = new Set<number>();
    for (const dr of dataRows) for (const c of inSpan(dr)) hasData.add(c);
    const segments: number[][] = [];
    let current: number[] = [];
    for (let c = c0; c <= c1; c++) {
      const head = hasHeader(c);
      const data = hasData.has(c);
      const coveredInLeaf = grid.covered.has(cellKey(h, c));
      if (!head && !data && !coveredInLeaf) {
        if (current.length) segments.push(current);
        current = [];
        continue;
      }
      current.push(c);
    }
    if (current.length) segments.push(current);
    // Drop columns that carry nothing at all (spacers under a merged header).
    const useful = (c: number) => hasData.has(c) || headerRows.some((hr) => cell(hr, c) && !captionCells.has(hr));
    const main = (segments[0] ?? []).filter(useful);
    const mainRows = new Set(dataRows.filter((dr) => main.some((c) => cell(dr, c))));
    const sideTables: DetectedTable[] = [];
    const skippedReasons: string[] = [];
    // Helper parts beside one table (A&E: a label in P, 0.95 repeated in R) are one annotation: one skipped entry.
    const helpers: string[] = [];
    for (const seg of segments.slice(1)) {
      const segCols = seg.filter(useful);
      if (!segCols.length) continue;
      const numericHeader = headerRows.some((hr) => segCols.some((c) => cell(hr, c) && cell(hr, c)!.cls !== 'text'));
      const constant = segCols.every((c) => new Set(dataRows.filter((dr) => cell(dr, c)).map((dr) => String(cell(dr, c)!.v))).size <= 1);
      const [from, to] = [columnLetter(segCols[0]), columnLetter(segCols[segCols.length - 1])];
      const range = from === to ? from : `${from}:${to}`;
      if (numericHeader || constant) {
        helpers.push(range);
        continue;
      }
      const rowsHere = dataRows.filter((dr) => segCols.some((c) => cell(dr, c)));
      // A part without identifier (text) columns of its own, on the same rows, continues the table past a spacer column.
      const ownIds = dataRows.some((dr) => cell(dr, segCols[0])?.cls === 'text');
      if (!ownIds && rowsHere.every((dr) => mainRows.has(dr))) {
        main.push(...segCols);
        continue;
      }
      sideTables.push(finish(segCols, rowsHere, [], undefined));
    }
    if (helpers.length) skippedReasons.push(`chart data helper beside the table (columns ${helpers.join(', ')})`);
    const table = finish(main, dataRows, warnings, captionCell);
    return { table, endRow: end, side: { tables: sideTables, skippedReasons } };

    function finish(columns: number[], rowsHere: number[], warns: string[], caption?: string): DetectedTable {
      const parts = columns.map((c) => headerParts(c));
      const rawHeaders = parts.map((p) => p.map((x) => x.raw).join(' | '));
      const names = combineGroupNames(
        parts.map((p) => p.map((x) => cleanHeader(x.raw)).filter((x, i, a) => x && x !== a[i - 1])),
        (i) => `Column ${columnLetter(columns[i])}`,
      );
      const values = (dr: number) => columns.map((c) => valueAt(grid, dr, c, rowsHere[0]));
      const counter = new LevelCounter(names);
      if (!counter.empty) for (const dr of rowsHere) counter.add(values(dr));
      const levels = counter.result();
      const totals = rowsHere.map((dr) => {
        const v = values(dr);
        return v.some((x) => isTotalLabel(x)) || isAggregateLevel(levels, v);
      });
      return {
        headerRows,
        columns,
        rawHeaders,
        names,
        dataRows: rowsHere,
        totals,
        caption: caption ?? findCaption(headerRows[0] - 1, region),
        metadata: findMetadata(region, headerRows[0]),
        warnings: warns,
        ...(levels ? { levels } : {}),
      };
    }

    function headerParts(c: number): { raw: string }[] {
      const out: { raw: string }[] = [];
      for (const hr of headerRows) {
        if (captionCells.has(hr) && c === cols[hr][0]) continue;
        const t = headerText(hr, c, hr === h);
        if (t !== undefined && t.trim() !== '' && (!out.length || out[out.length - 1].raw.trim() !== t.trim())) out.push({ raw: t });
      }
      return out;
    }

    function headerText(hr: number, c: number, isLeaf: boolean): string | undefined {
      const own = textAt(hr, c);
      if (own !== undefined) return own;
      const m = grid.covered.get(cellKey(hr, c));
      if (m) return textAt(m.r0, m.c0);
      if (isLeaf) return undefined;
      // Implicit group carry (no merge): the nearest group cell to the left, when this column has a leaf.
      if (headerRows.slice(headerRows.indexOf(hr) + 1).every((lr) => textAt(lr, c) === undefined && !grid.covered.has(cellKey(lr, c)))) return undefined;
      for (let x = c - 1; x >= c0; x--) {
        const t = textAt(hr, x);
        if (t === undefined) continue;
        if (captionCells.has(hr) && x === cols[hr][0]) return undefined;
        // A merged group cell ends where its merge ends; it does not carry further right.
        if ((grid.anchors.get(cellKey(hr, x))?.c1 ?? c) < c) return undefined;
        const below = headerRows.slice(headerRows.indexOf(hr) + 1).some((lr) => textAt(lr, x) !== undefined);
        return below ? t : undefined;
      }
      return undefined;
    }
  }

  function loneText(u: number): string | undefined {
    if (stats[u].n !== 1 || stats[u].text !== 1) return undefined;
    return textAt(u, stats[u].first)?.trim();
  }

  function findCaption(from: number, region: number): string | undefined {
    for (let u = from; u >= region; u--) {
      if (!stats[u].n || isMeta(u)) continue;
      const t = loneText(u) ?? (stats[u].n === 2 && stats[u].text >= 1 ? textAt(u, stats[u].first)?.trim() : undefined);
      if (t === undefined) return undefined;
      // Boilerplate and single-cell "Label: value" lines are not captions; keep looking above them.
      if (/^(return to contents|copyright|©)/i.test(t) || INLINE_META_RE.test(t) || NOTE_RE.test(t) || LEGEND_RE.test(t)) continue;
      return t;
    }
    return undefined;
  }

  function findMetadata(region: number, until: number): Record<string, string> {
    const meta: Record<string, string> = {};
    for (let u = region; u < until; u++) {
      if (isMeta(u)) {
        const [labelCol, ...rest] = cols[u];
        const label = String(textAt(u, labelCol)).trim().replace(/:$/, '').trim();
        const v = rest.length ? cell(u, rest[0])! : undefined;
        meta[label] = v === undefined ? '' : v.v instanceof Date ? v.v.toISOString().slice(0, 10) : String(v.v).trim();
        continue;
      }
      const m = INLINE_META_RE.exec(loneText(u) ?? '');
      if (m) meta[m[1].trim()] = m[2].trim();
    }
    return meta;
  }
}

/**
 * Value of a data cell, with vertical merges filled down: a cell covered by a merge anchored in the
 * same column at or below the first data row takes the anchor's value (RTT `Year`). Cells covered by
 * horizontal merges stay empty (they are spacers).
 */
export function valueAt(grid: Grid, r: number, c: number, firstDataRow: number): Cell {
  let x = grid.rows[r]?.[c];
  if (!x) {
    const m = grid.covered.get(cellKey(r, c));
    if (m && m.c0 === c && m.r0 >= firstDataRow) x = grid.rows[m.r0]?.[c];
  }
  if (!x) return null;
  if (typeof x.v === 'string') {
    const t = x.v.trim();
    return t === '' ? null : t;
  }
  return x.v;
}
