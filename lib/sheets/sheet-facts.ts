/**
 * The per-sheet facts table detection (layout.ts) reads at every step: the grid, cell counts per row,
 * and the row tests of rule 1 (metadata line, header-like row, data-like row, leaf header row).
 */
import type { Grid, GridCell } from './grid.ts';

/** Cell counts of one row; `first`/`last` are its first and last non-empty columns (-1 when empty). */
export interface RowStats {
  n: number;
  text: number;
  other: number;
  first: number;
  last: number;
}

/** One sheet's grid with its row statistics and the row tests built on them. */
export class SheetFacts {
  readonly rows: Grid['rows'];
  readonly cols: Grid['cols'];
  readonly nRows: number;
  readonly stats: RowStats[];

  constructor(readonly grid: Grid) {
    const { rows, cols } = grid;
    this.rows = rows;
    this.cols = cols;
    this.nRows = rows.length;
    this.stats = cols.map((cs, r) => {
      let text = 0;
      for (const c of cs) if (rows[r][c]!.cls === 'text') text++;
      return { n: cs.length, text, other: cs.length - text, first: cs[0] ?? -1, last: cs[cs.length - 1] ?? -1 };
    });
  }

  cell(r: number, c: number): GridCell | undefined {
    return this.rows[r]?.[c];
  }

  /** A cell's value as text (numbers and dates stringified); undefined for an empty cell. */
  textAt(r: number, c: number): string | undefined {
    const x = this.cell(r, c);
    return x && typeof x.v === 'string' ? x.v : x ? String(x.v) : undefined;
  }

  /** A `Label:` line of the metadata block: at most 3 cells, the first a text ending in a colon. */
  isMeta(r: number): boolean {
    const s = this.stats[r];
    if (!s || s.n === 0 || s.n > 3) return false;
    const first = this.cell(r, s.first);
    return first?.cls === 'text' && /^[^:]{1,60}:\s*$/.test(String(first.v)) && s.first === this.cols[r][0];
  }

  /** Mostly text: ≥2 text cells, ≥75% text, and not a metadata line. */
  headerLike(r: number): boolean {
    const s = this.stats[r];
    return s.n >= 2 && s.text >= 2 && s.text >= 0.75 * s.n && !this.isMeta(r);
  }

  /** A real share (≥25%) of numbers, dates or markers. */
  dataLike(r: number): boolean {
    const s = this.stats[r];
    return s.n >= 1 && s.other >= 1 && s.other >= 0.25 * s.n;
  }

  /**
   * Rule 1: a header-like row directly followed (at most one blank row between) by a data row. A
   * data row may be mostly words (`alpha | b | c | 1`): it is still data when the row after it has
   * the same shape, as rows of one table do, and a header never has the shape of the row below it.
   */
  isLeafHeader(r: number): boolean {
    if (!this.headerLike(r)) return false;
    const d = this.nextNonEmpty(r + 1, 2);
    if (d < 0 || !this.dataLike(d) || this.sameShape(r, d)) return false;
    if (!this.headerLike(d)) return true;
    const e = this.nextNonEmpty(d + 1, 2);
    return e >= 0 && this.sameShape(d, e);
  }

  /** Same non-empty columns, with text in the same ones. */
  private sameShape(a: number, b: number): boolean {
    const ca = this.cols[a];
    const cb = this.cols[b];
    if (ca.length !== cb.length) return false;
    for (let i = 0; i < ca.length; i++) {
      if (ca[i] !== cb[i] || (this.rows[a][ca[i]]!.cls === 'text') !== (this.rows[b][cb[i]]!.cls === 'text')) return false;
    }
    return true;
  }

  /** The text of a row holding exactly one cell, a text one. */
  loneText(r: number): string | undefined {
    const s = this.stats[r];
    if (s.n !== 1 || s.text !== 1) return undefined;
    return this.textAt(r, s.first)?.trim();
  }

  private nextNonEmpty(r: number, limit: number): number {
    for (let i = r; i < Math.min(this.nRows, r + limit); i++) if (this.stats[i].n) return i;
    return -1;
  }
}
