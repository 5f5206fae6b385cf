/**
 * Rule 3 of table detection (layout.ts): the data rows below a header block, and the rows inside
 * the table that are not data (notes, repeated headers, derived rows).
 */
import type { HeaderBlock } from './header-block.ts';
import { continuesAbove, isDerivedRow, NOTE_RE } from './row-roles.ts';
import type { SheetFacts } from './sheet-facts.ts';
import { trimText } from './values.ts';


/** One table's column span and leaf header labels, and the tests of rows below the header against them. */
export class TableFrame {
  readonly c0: number;
  readonly c1: number;
  private readonly leafTexts = new Map<number, string>();
  /**
   * The leaf texts that are numbers as written: a number cell repeats such a leaf when it equals
   * the number, so data rows need no number-to-text conversion per cell (isRepeatHeader runs on every row).
   */
  private readonly leafNumbers = new Map<number, number>();

  constructor(
    readonly sheet: SheetFacts,
    readonly header: HeaderBlock,
  ) {
    this.c0 = header.c0;
    this.c1 = header.c1;
    const h = header.leaf;
    for (const c of sheet.cols[h]) this.leafTexts.set(c, String(sheet.textAt(h, c)).trim());
    for (const [c, t] of this.leafTexts) if (t !== '' && String(Number(t)) === t) this.leafNumbers.set(c, Number(t));
  }

  /** The row's non-empty columns inside the table's span. */
  inSpan(row: number): number[] {
    const { c0, c1 } = this;
    return this.sheet.cols[row].filter((c) => c >= c0 && c <= c1);
  }

  /**
   * A note line: the row's only cell up to the table's last column is text that reads as a note, or
   * any text at or left of the first column of a table at least 3 columns wide.
   */
  isNote(row: number): boolean {
    const { c0, c1 } = this;
    const cs = this.sheet.cols[row].filter((c) => c <= c1);
    if (cs.length !== 1) return false;
    const x = this.sheet.cell(row, cs[0])!;
    if (x.cls !== 'text') return false;
    return cs[0] <= c0 ? c1 - c0 >= 2 || NOTE_RE.test(String(x.v).trim()) : NOTE_RE.test(String(x.v).trim());
  }

  /** A repeat of the leaf header row: ≥3 of its cells in the span (every leaf, when fewer) and at least half of them repeat their leaf labels. */
  isRepeatHeader(row: number): boolean {
    const { c0, c1 } = this;
    let same = 0;
    let n = 0;
    for (const c of this.sheet.cols[row]) {
      if (c < c0 || c > c1) continue;
      n++;
      if (this.repeatsLeaf(row, c)) same++;
    }
    return same >= Math.min(3, this.leafTexts.size) && same >= 0.5 * n;
  }

  private repeatsLeaf(row: number, c: number): boolean {
    const leaf = this.leafTexts.get(c);
    if (leaf === undefined) return false;
    const v = this.sheet.rows[row][c]!.v;
    if (typeof v === 'string') return trimText(v) === leaf;
    if (typeof v === 'number') {
      const n = this.leafNumbers.get(c);
      return n === v || (n !== undefined && Number.isNaN(n) && Number.isNaN(v));
    }
    return String(v).trim() === leaf;
  }
}

/** Rows under a table that are not loaded, by reason (0-based grid rows). */
export type OmittedRows = Map<string, number[]>;

export const NOTE_ROWS = 'note line inside the table';
export const REPEATED_HEADER = 'repeated header row';
export const PLACEHOLDER_ROWS = 'placeholder: a label and no value in any measure column';

export interface DataScan {
  /** The data rows, in order, derived rows included. */
  rows: number[];
  /** The rows among them that are derived (changes, shares). */
  derived: Set<number>;
  /** Last row the table takes; the leaf row when there is none. */
  end: number;
  omitted: OmittedRows;
  warnings: string[];
}

/** The data rows below the leaf header row, skipping notes and repeated headers (with warnings) and marking derived rows. */
export function scanDataRows(frame: TableFrame): DataScan {
  const { sheet } = frame;
  const { grid, nRows } = sheet;
  const h = frame.header.leaf;
  const dataRows: number[] = [];
  const derived = new Set<number>();
  const omitted: OmittedRows = new Map();
  const omit = (reason: string, r: number) => (omitted.get(reason) ?? omitted.set(reason, []).get(reason)!).push(r);
  let row = h + 1;
  let end = h;
  while (row < nRows) {
    const span = frame.inSpan(row);
    if (!span.length || frame.isNote(row)) {
      // Look past blank and note rows: continue only if real data follows.
      let n = row;
      const notes: number[] = [];
      while (n < nRows && (!frame.inSpan(n).length || frame.isNote(n))) {
        if (frame.isNote(n)) notes.push(n);
        n++;
        if (n - row > 3) break;
      }
      if (n < nRows && frame.inSpan(n).length && !frame.isNote(n) && sheet.dataLike(n) && !sheet.isLeafHeader(n) && (n - row <= 3)) {
        for (const x of notes) omit(NOTE_ROWS, x);
        row = n;
        continue;
      }
      break;
    }
    if (row !== h + 1 && sheet.isLeafHeader(row) && !frame.isRepeatHeader(row) && !continuesAbove(grid, row, end, span)) break;
    if (frame.isRepeatHeader(row)) {
      omit(REPEATED_HEADER, row);
      row++;
      continue;
    }
    if (isDerivedRow(grid, row, span)) derived.add(row);
    dataRows.push(row);
    end = row;
    row++;
  }
  for (const r of derivedByPosition(frame, dataRows, derived)) derived.add(r);
  const notes = omitted.get(NOTE_ROWS)?.length ?? 0;
  const repeated = omitted.get(REPEATED_HEADER)?.length ?? 0;
  const warnings: string[] = [];
  if (notes) warnings.push(`${notes} note row(s) inside the table were excluded`);
  if (repeated) warnings.push(`${repeated} repeated header row(s) inside the table were skipped`);
  return { rows: dataRows, derived, end, omitted, warnings };
}

/**
 * Rows that are derived by their place rather than their content. GP Earnings summary tables merge
 * each label over a value row and its share row (A33:A34, A35:A36 …); when the figures of a block
 * are suppressed, its share row holds only `c` and cannot be told from data by its values (N Ireland
 * N3, row 36). A row whose label is only the merge from the row above and whose own cells are all
 * markers is derived when the rows at the same place in the other merged blocks are derived.
 */
function derivedByPosition(frame: TableFrame, rows: number[], derived: Set<number>): number[] {
  if (!derived.size) return [];
  const { sheet, c0 } = frame;
  const inTable = new Set(rows);
  const blocks = sheet.grid.merges.filter((m) => m.c0 === c0 && m.r1 > m.r0 && inTable.has(m.r0));
  const derivedPlaces = new Set<string>();
  for (const m of blocks) for (let r = m.r0; r <= m.r1; r++) if (derived.has(r)) derivedPlaces.add(`${m.r1 - m.r0}:${r - m.r0}`);
  const out: number[] = [];
  for (const m of blocks) {
    for (let r = m.r0 + 1; r <= m.r1; r++) {
      if (derived.has(r) || !inTable.has(r) || !derivedPlaces.has(`${m.r1 - m.r0}:${r - m.r0}`)) continue;
      const own = frame.inSpan(r);
      if (own.length && own.every((c) => sheet.cell(r, c)!.cls === 'marker')) out.push(r);
    }
  }
  return out;
}
