/**
 * The notes and definitions a workbook publishes beside its tables: the `Notes` sheet that `[note 4]`
 * in a header refers to (GP earnings: `note 4 | r 2014/15 Income Before Tax … recalculated`), a
 * numbered notes list (A&E: `1 | Figures from Nov 2010 … estimated`), a data dictionary (`Field |
 * Description`) and headed paragraphs (CCG outcomes: `Rounding\nIndicator values are presented at 1
 * decimal place`; GP earnings `Definitions and Changes`: `Averages` over a paragraph).
 *
 * These sheets are never loaded as tables (workbook.ts skips them by name); what they say is kept so
 * that the enriched stage can resolve `[note N]` and describe columns and tables in the publisher's
 * own words. The rules are deliberately plain: a row is a numbered note, a term with its definition,
 * or a heading with the paragraph below it; anything else (boilerplate, a lone title) is passed over.
 */
import type { Grid } from './grid.ts';

/** `B7` for row 6, column 1 (0-based). Here rather than grid.ts's, so the enriched stage can use this module without SheetJS. */
function address(r: number, c: number): string {
  let letters = '';
  for (let n = c + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return `${letters}${r + 1}`;
}

/** One note or definition published in a workbook. */
export interface WorkbookNote {
  member?: string;
  sheet: string;
  /** `numbered`: a note a table refers to by number; `definition`: a term, field or heading with its text. */
  kind: 'numbered' | 'definition';
  /** `note 4` for a numbered note (always this form, whatever the sheet prints); the term or heading otherwise. */
  key: string;
  text: string;
  /** The cell the text was read from (`B7`). */
  cell: string;
}

/** Texts longer than this are cut (with an ellipsis): a description is not the place for a methodology chapter. */
const MAX_TEXT = 1500;
/** At most this many entries per sheet. */
const MAX_ENTRIES = 400;

const BOILERPLATE = /^(?:return to (?:contents|top|index)|back to (?:contents|top)|copyright|©|this (?:work)?sheet contains|contents$)/i;
/** `note 4`, `Note 4:`, `[note 4]`, `N4`. */
const NOTE_KEY = /^\[?\s*note\s*(\d{1,3}[a-z]?)\s*\]?\s*[:.]?$/i;
/** `4`, `4.`, `(4)`, `4)` in a sheet whose name says notes. */
const BARE_NUMBER = /^\(?(\d{1,3}[a-z]?)[.):]?$/;
/** A header row of a notes or dictionary table (`Note number | Note text`, `Field | Description`). */
const HEADER_WORDS = /^(?:note (?:number|no\.?|text)|notes?|number|no\.?|field(?: name)?|column(?: name)?|variable|term|name|item|description|definition|meaning|text)$/i;

/** The notes and definitions of one sheet, in sheet order. */
export function harvestNotes(g: Grid, sheet: string, member?: string): WorkbookNote[] {
  const out: WorkbookNote[] = [];
  const notesSheet = /notes?\b/i.test(sheet);
  const where = (r: number, c: number) => ({ ...(member ? { member } : {}), sheet, cell: address(r, c) });
  let heading: { key: string; r: number } | undefined;
  let body: { text: string[]; r: number; c: number } | undefined;
  const flush = () => {
    if (heading && body) out.push({ ...where(body.r, body.c), kind: 'definition', key: heading.key, text: cut(body.text.join('\n')) });
    heading = undefined;
    body = undefined;
  };
  for (let r = 0; r < g.rows.length && out.length < MAX_ENTRIES; r++) {
    const cells = (g.cols[r] ?? []).map((c) => ({ c, t: text(g.rows[r][c]?.v) })).filter((x) => x.t !== '');
    if (!cells.length) continue;
    if (BOILERPLATE.test(cells[0].t)) continue;
    const [first, second] = cells;
    const number = NOTE_KEY.exec(first.t)?.[1] ?? (notesSheet ? BARE_NUMBER.exec(first.t)?.[1] : undefined);
    if (number && second) {
      flush();
      out.push({ ...where(r, second.c), kind: 'numbered', key: `note ${number.toLowerCase()}`, text: cut(cells.slice(1).map((x) => x.t).join(' ')) });
      continue;
    }
    if (second && isTerm(first.t) && !HEADER_WORDS.test(first.t) && words(second.t) >= 3) {
      flush();
      out.push({ ...where(r, second.c), kind: 'definition', key: first.t.replace(/:$/, '').trim(), text: cut(cells.slice(1).map((x) => x.t).join(' ')) });
      continue;
    }
    if (cells.length !== 1) continue;
    const t = first.t;
    const lines = t.split('\n');
    if (lines.length > 1 && isTerm(lines[0]) && words(lines.slice(1).join(' ')) >= 3) {
      flush();
      out.push({ ...where(r, first.c), kind: 'definition', key: lines[0].replace(/:$/, '').trim(), text: cut(lines.slice(1).join('\n').trim()) });
      continue;
    }
    if (isTerm(t) && !/[.;]$/.test(t)) {
      flush();
      heading = { key: t.replace(/:$/, '').trim(), r };
      continue;
    }
    if (heading) {
      if (body) body.text.push(t);
      else body = { text: [t], r, c: first.c };
    }
  }
  flush();
  return out;
}

/** A term or heading: short, a few words, not a sentence (a contents line such as `Table 4a. GPMS contractor GP earnings by practice patient list size` is one). */
function isTerm(t: string): boolean {
  return t.length <= 100 && !t.includes('\n') && words(t) <= 14;
}

function words(t: string): number {
  return t.split(/\s+/).filter(Boolean).length;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').replace(/ *\n */g, '\n').trim();
}

function cut(t: string): string {
  return t.length <= MAX_TEXT ? t : `${t.slice(0, MAX_TEXT - 1).trimEnd()}…`;
}

/** `[note 4]`, `[Note7]`, `note 12` in a header or caption: the note keys it refers to, in order, once each. */
export function noteReferences(t: string): string[] {
  const keys = [...t.matchAll(/\[\s*note\s*(\d{1,3}[a-z]?)\s*\]/gi)].map((m) => `note ${m[1].toLowerCase()}`);
  return [...new Set(keys)];
}
