/**
 * What a row inside or around a table is when it is not plain data: a note line, a symbol legend, a
 * one-cell `Label: value` line, or a derived row. Kept apart from the layout walk in layout.ts so
 * that each rule can be read (and changed) on its own.
 */
import type { Grid } from './grid.ts';

/** A note or footnote line ("Note 1: …", "Source: …", "* denotes …", "(3) …"). */
export const NOTE_RE = /^(notes?\b|source\b|sources\b|\*|\d+[.)]\s|\(\d+\)|\[note|please\b|this (table|worksheet|sheet)\b|copyright|©|footnote|figures (may|are)\b|.*\bdenotes\b)/i;

/** A symbol legend line ("c Results have been suppressed …", ": Data not available.") or rounding/banding boilerplate. */
export const LEGEND_RE = /^(?:(?:c|z|x|:|\.\.|\[[czx]\]|\*)\s+\S|some (?:bands|cells|figures)\b)/i;

/** A one-cell "Label: value" line ("Source: PCMD, GP Registered population"). */
export const INLINE_META_RE = /^([A-Z][A-Za-z ]{1,30}):\s+(\S.*)$/s;

/** Labels of rows that hold a difference between the rows above, in other units than the column. */
const DERIVED_LABEL_RE = /^(?:change|difference|annual change|% change|percentage change|change \(%\)|change on (?:previous|last) year)$/i;
/** A bracketed share such as "(6.2%)" printed under a money figure. */
const SHARE_RE = /^\(-?[\d.,]+%\)$/;

/**
 * A derived row: GP Earnings summary tables follow each pair of years with a `Change` row (`+2.7%`
 * under money, `+3.5 Percentage Points` under a ratio) and each money row with a row of bracketed
 * shares (`(6.2%)`). Their values are in other units than the column, so loading them would make
 * every column mixed; they can be recomputed from the rows they derive from, so they are left out
 * of the table (with a warning naming them), not loaded as data.
 */
export function isDerivedRow(grid: Grid, row: number, cols: number[]): boolean {
  let shares = 0;
  let others = 0;
  for (const c of cols) {
    const x = grid.rows[row]?.[c];
    if (!x) continue;
    const s = typeof x.v === 'string' ? x.v.trim() : undefined;
    if (s !== undefined && DERIVED_LABEL_RE.test(s)) return true;
    if (s !== undefined && SHARE_RE.test(s)) shares++;
    else others++;
  }
  return shares >= 2 && others === 0;
}

/**
 * True when a header-looking row directly below a data row is more data of the same table: its
 * leading label cells repeat the labels of the row above (GP Earnings 1c: `England | GPMS | All
 * practices | Depreciation… | now in "Other" | now in "Other" …` is a data row whose values are
 * words, not the header of a new table). A new table's header never repeats the row above's labels.
 */
export function continuesAbove(grid: Grid, row: number, previous: number, cols: number[]): boolean {
  if (previous !== row - 1) return false;
  for (const c of cols.slice(0, 2)) {
    const x = grid.rows[row]?.[c];
    const above = grid.rows[previous]?.[c];
    if (x?.cls === 'text' && above?.cls === 'text' && String(x.v).trim() === String(above.v).trim()) return true;
  }
  return false;
}
