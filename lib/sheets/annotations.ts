/**
 * Published figures with something written around them. GSS-style sheets mark a revised figure with
 * an `r` (`£194,800 r`), provisional and estimated ones with `p` and `e`, refer to notes
 * (`1,234 [note 4]`, `56*`), write changes in other units (`+3.5 Percentage Points`) and shares in
 * brackets (`(6.2%)`), and put a note in place of a figure (`now in "Other"`). Read as plain text,
 * one such cell makes its whole column text (GP Earnings 1c: 18 of 21 year columns). Here each
 * becomes the number (or NULL) it stands for plus an annotation that says what was around it, so the
 * column keeps its number type and nothing published is lost: the annotation travels with the row.
 *
 * Only values that are not already a number, date or marker are looked at, so ordinary cells cost
 * nothing more; and a bracketed share or a percent unit is only read so in a derived row, where a
 * figure in other units than its column is expected (elsewhere `(6.2%)` could be a negative).
 */
import type { Cell, ColumnType, TableInfo, TableRow } from './types.ts';
import { classify, parseDateText, trimText } from './values.ts';

/** A published value split into what the column stores (`core`, parsed as usual) and its annotation. */
export interface Annotated {
  core: string;
  note: string;
}

/** Note references at the end of a value: `[note 4]`, `[notes 3 and 5]`. */
const NOTE_REF_RE = /\s*(\[\s*notes?\b[^\]]*\])\s*$/i;
/** A revision or status flag after a figure: `r`, `p`, `e`, bare, bracketed or parenthesised. */
const STATUS_RE = /^(.*[\d%])\s*(?:\[([rpe])\]|\(([rpe])\)|\s([rpe]))$/i;
const STATUS_TIGHT_RE = /^(.*\d)([rpe])$/i;
/** Footnote marks after a figure. */
const FOOTNOTE_RE = /^(.*[\d%])\s*(\*{1,3}|†|‡)$/;
/** A change written in percentage points. */
const POINTS_RE = /^([+-]?\d[\d,]*(?:\.\d+)?)\s*(?:percentage points?|pp|ppts?)$/i;
/** A share in brackets, `(6.2%)`. */
const SHARE_RE = /^\((-?\d[\d,]*(?:\.\d+)?%)\)$/;

const isNumberKind = (k: string) => k === 'int' || k === 'bigint' || k === 'num';

/**
 * Splits an annotated number (or marker); undefined when `s` is not one. `derived`: the value is in a
 * derived row, where a percent unit and a bracketed share are annotations too.
 */
export function splitAnnotated(s: string, derived: boolean): Annotated | undefined {
  let core = trimText(s);
  const notes: string[] = [];
  for (;;) {
    let m = NOTE_REF_RE.exec(core);
    if (m && m.index > 0) {
      notes.unshift(m[1].replace(/\s+/g, ' '));
      core = core.slice(0, m.index).trim();
      continue;
    }
    m = STATUS_RE.exec(core) ?? STATUS_TIGHT_RE.exec(core);
    if (m) {
      notes.unshift(m[2] ?? m[3] ?? m[4]);
      core = m[1].trim();
      continue;
    }
    m = FOOTNOTE_RE.exec(core);
    if (m) {
      notes.unshift(m[2]);
      core = m[1].trim();
      continue;
    }
    break;
  }
  const points = POINTS_RE.exec(core);
  if (points) {
    core = points[1];
    notes.push('percentage points');
  } else if (derived) {
    const share = SHARE_RE.exec(core);
    if (share) core = share[1];
    if (core.endsWith('%')) notes.push('%');
  }
  if (!notes.length) return undefined;
  const kind = classify(core);
  return isNumberKind(kind) || kind === 'marker' ? { core, note: notes.join(' ') } : undefined;
}

/**
 * A note standing where a figure would be: a short phrase of words (`now in "Other"`, `not
 * collected`), never a code, a single word or a date. Only in a column whose other values are
 * numbers is such a phrase read as a note (column-stats.ts decides).
 */
export function isNoteText(s: string): boolean {
  const t = trimText(s);
  return t.length >= 5 && t.length <= 80 && /\s/.test(t) && /^["'(\p{L}]/u.test(t) && /\p{L}{3}/u.test(t) && !/\d{3}/.test(t) && parseDateText(t) === undefined;
}

/**
 * The value a column of `type` stores for a published cell, and its annotation. The value is what
 * `toPgText` then reads as usual: the number without its flag, or null for a note in place of a
 * figure. Text columns keep every value exactly as published.
 */
export function annotateCell(v: Cell, type: ColumnType, derived: boolean): { value: Cell; note?: string } {
  if (type === 'text' || typeof v !== 'string') return { value: v };
  const s = trimText(v);
  const kind = classify(s);
  if (kind !== 'text' && !(derived && s.endsWith('%'))) return { value: v };
  const split = splitAnnotated(s, derived);
  if (split) return { value: split.core, note: split.note };
  if (kind === 'text' && type !== 'date' && type !== 'boolean' && isNoteText(s)) return { value: null, note: s };
  return { value: v };
}

/** Applies `annotateCell` to the columns `indexes` of a row read from `table`, in place. */
export function annotateRow(row: TableRow, table: TableInfo, indexes: number[]): void {
  const derived = row.kind === 'derived';
  for (const i of indexes) {
    const { value, note } = annotateCell(row.values[i], table.columns[i].type, derived);
    if (note === undefined) continue;
    row.values[i] = value;
    (row.annotations ??= {})[i] = note;
  }
}
