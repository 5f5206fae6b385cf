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

export interface DataScan {
  /** The data rows, in order. */
  rows: number[];
  /** Last row the table takes (data or derived); the leaf row when there is none. */
  end: number;
  warnings: string[];
}

/** The data rows below the leaf header row, skipping notes, repeated headers and derived rows (with warnings). */
export function scanDataRows(frame: TableFrame): DataScan {
  const { sheet } = frame;
  const { grid, nRows } = sheet;
  const h = frame.header.leaf;
  const dataRows: number[] = [];
  let skippedNotes = 0;
  let repeated = 0;
  const derived: number[] = [];
  let row = h + 1;
  let end = h;
  while (row < nRows) {
    const span = frame.inSpan(row);
    if (!span.length || frame.isNote(row)) {
      // Look past blank and note rows: continue only if real data follows.
      let n = row;
      let notes = 0;
      while (n < nRows && (!frame.inSpan(n).length || frame.isNote(n))) {
        if (frame.isNote(n)) notes++;
        n++;
        if (n - row > 3) break;
      }
      if (n < nRows && frame.inSpan(n).length && !frame.isNote(n) && sheet.dataLike(n) && !sheet.isLeafHeader(n) && (n - row <= 3)) {
        skippedNotes += notes;
        row = n;
        continue;
      }
      break;
    }
    if (row !== h + 1 && sheet.isLeafHeader(row) && !frame.isRepeatHeader(row) && !continuesAbove(grid, row, end, span)) break;
    if (frame.isRepeatHeader(row)) {
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
  return { rows: dataRows, end, warnings: skippedRowWarnings(skippedNotes, repeated, derived) };
}

function skippedRowWarnings(notes: number, repeated: number, derived: number[]): string[] {
  const warnings: string[] = [];
  if (notes) warnings.push(`${notes} note row(s) inside the table were excluded`);
  if (repeated) warnings.push(`${repeated} repeated header row(s) inside the table were skipped`);
  if (derived.length) {
    const list = derived.length > 6 ? `${derived.slice(0, 6).map((d) => d + 1).join(', ')} …` : derived.map((d) => d + 1).join(', ');
    warnings.push(`${derived.length} derived row(s) left out (rows ${list}): changes or shares in other units than their columns`);
  }
  return warnings;
}
