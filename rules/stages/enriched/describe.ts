/**
 * Descriptions in the publisher's own words. A table is described by its caption or title (else the contents
 * sheet's line for its sheet, the metadata block's summary, the page's link to the file, or the publication's
 * name), what one row is (its grain, read from its leading label columns), and what its rows are when it holds
 * totals or derived rows. A column is described by its header (group and leaf), the workbook's definition of that
 * header, and the text of every `[note N]` it carries, resolved from the workbook's Notes sheet.
 *
 * Deterministic: the same draft gives the same words. Nothing here is invented; where the publication says
 * nothing more than a header, the description is the header.
 */
import { noteReferences } from '../../../lib/sheets/notes.ts';
import type { DraftBody, DraftColumn, DraftFile, DraftTable } from '../draft.ts';

type Note = NonNullable<DraftFile['notes']>[number];

/**
 * What one publication period offers to describe its tables. (Not the publication's name from config: the table's
 * documentation and the catalog carry it, and renaming a publication then rebuilds no manifest.)
 */
export interface DescribeContext {
  draft: DraftBody;
}

/** `[note 4]`, `[Note7]`, footnote marks and line breaks out of a header or caption. */
export function plainText(t: string): string {
  return t
    .replace(/\[\s*note\s*\d{1,3}[a-z]?\s*\]/gi, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:)])/g, '$1')
    .trim();
}

/** `t` ending in a full stop (or its own ! or ?). */
export const sentence = (t: string) => (/[.!?]$/.test(t) ? t : `${t}.`);

/** The notes a text refers to, as `Note 4: …` sentences, in the order referred to. */
function resolvedNotes(text: string, notes: Note[]): string[] {
  const out: string[] = [];
  for (const key of noteReferences(text)) {
    const n = notes.find((x) => x.kind === 'numbered' && x.key === key);
    if (n) out.push(`${key[0].toUpperCase()}${key.slice(1)}: ${sentence(n.text.replace(/\s+/g, ' ').trim())}`);
  }
  return out;
}

const norm = (t: string) => plainText(t).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

/** The contents sheet's line for a sheet: `Table 6. Contractor distribution` for sheet `6. Contractor Distribution`. */
function contentsLine(sheet: string | undefined, notes: Note[]): string | undefined {
  if (!sheet) return undefined;
  const number = /^\s*(?:table\s*)?(\d{1,3}[a-z]?)[.)\s]/i.exec(sheet)?.[1]?.toLowerCase();
  for (const n of notes) {
    if (n.kind !== 'definition' || n.sheet.toLowerCase() !== 'contents') continue;
    const key = /^\s*(?:table\s*)?(\d{1,3}[a-z]?)[.)\s]/i.exec(n.key)?.[1]?.toLowerCase();
    if ((number && key === number) || norm(n.key) === norm(sheet)) return n.text;
  }
  return undefined;
}

/** A link text without its `[CSV, 1.9 MB]` file note. */
const linkTitle = (t: string | undefined) => t?.replace(/\s*[[(](?:[A-Z]{2,5}|zip|csv|xlsx?)\b[^\])]*[\])]\s*$/i, '').trim() || undefined;

/** The table's description: title, what a row is, what its rows are, and the notes its title refers to. */
export function tableDescription(ctx: DescribeContext, file: DraftFile, t: DraftTable): string {
  const notes = file.notes ?? [];
  const caption = t.caption || t.metadata.Title || t.metadata.title;
  const contents = contentsLine(t.sheet, notes);
  const summary = t.metadata.Summary || t.metadata.Statistic || t.metadata.Description;
  const title = caption ? plainText(caption) : contents ?? summary ?? linkTitle(file.link_text) ?? ctx.draft.page?.title ?? (t.sheet ? `Sheet "${t.sheet.trim()}"` : undefined);
  const parts = title ? [sentence(title)] : [];
  for (const more of [contents, summary]) {
    if (more && !parts.some((p) => norm(p).includes(norm(more)))) parts.push(sentence(plainText(more)));
  }
  const grain = rowGrain(t);
  if (grain) parts.push(grain);
  const kinds = rowKindsSentence(t);
  if (kinds) parts.push(kinds);
  parts.push(...resolvedNotes(caption ?? '', notes));
  parts.push(...generalNotes(file, notes));
  return parts.join(' ');
}

/**
 * A workbook's numbered notes that nothing in it refers to (A&E's Notes sheet: `1. Figures from Nov 2010 to May 2015
 * have been estimated …`) are about all of its tables: each table's description carries them.
 */
function generalNotes(file: DraftFile, notes: Note[]): string[] {
  const numbered = notes.filter((n) => n.kind === 'numbered');
  if (!numbered.length) return [];
  const referred = file.tables.some((t) => [t.caption ?? '', ...t.columns.map((c) => c.raw_header), ...t.columns.flatMap((c) => Object.keys(c.annotations ?? {}))].some((x) => noteReferences(x).length > 0));
  if (referred) return [];
  return [`Notes published with the file: ${numbered.map((n) => `(${n.key.replace(/^note /, '')}) ${sentence(n.text.replace(/\s+/g, ' ').trim())}`).join(' ')}`];
}

/** The column's description: header (group: leaf), the workbook's definition of it, its notes resolved, its marks. */
export function columnDescription(file: DraftFile, c: DraftColumn): string {
  const notes = file.notes ?? [];
  const levels = c.raw_header.split(' | ').map(headerLabel).filter((x, i, all) => x !== '' && all.indexOf(x) === i);
  const label = levels.join(': ') || headerLabel(c.header);
  const parts = [sentence(label)];
  const leaf = norm(levels[levels.length - 1] ?? c.header);
  const definition = notes.find((n) => n.kind === 'definition' && n.sheet.toLowerCase() !== 'contents' && norm(n.key) === leaf);
  if (definition) parts.push(firstSentences(definition.text));
  parts.push(...resolvedNotes(c.raw_header, notes));
  parts.push(...marks(Object.keys(c.annotations ?? {}), notes));
  return parts.join(' ');
}

/** A definition's first sentences, up to about 300 characters: a description, not the methodology chapter. */
function firstSentences(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentences = flat.match(/[^.!?]+[.!?]+(?=\s|$)|[^.!?]+$/g) ?? [flat];
  let out = '';
  for (const x of sentences) {
    if (out && out.length + x.length > 300) break;
    out += x;
  }
  return sentence(out.trim());
}

const UNITS = new Set(['%', 'percentage points', 'pp']);
const FLAG_WORDS: Record<string, string> = { r: '"r" (revised)', p: '"p" (provisional)', e: '"e" (estimated)' };

/** What the marks taken off this column's figures mean: units of derived rows, revision flags, notes. */
function marks(annotations: string[], notes: Note[]): string[] {
  const out: string[] = [];
  const units = annotations.filter((a) => UNITS.has(a));
  if (units.length) out.push(`Derived rows give changes in ${units.map((u) => `"${u}"`).join(' or ')} (the unit is kept in _markers).`);
  const flags = annotations.filter((a) => FLAG_WORDS[a]).map((a) => FLAG_WORDS[a]);
  if (flags.length) out.push(`Some figures are marked ${flags.join(', ')}; the figure is kept and the mark is in _markers.`);
  for (const a of annotations) {
    const resolved = noteReferences(a).length ? resolvedNotes(a, notes) : [];
    if (resolved.length) out.push(`Figures marked ${a}: ${resolved.map((r) => r.replace(/^Note \S+: /, '')).join(' ')}`);
  }
  return out;
}

/** Headers that name when, where or what a row is about when they hold integers. */
const INTEGER_KEY = /\b(year|month|quarter|period|code|id)\b/i;
const MAX_GRAIN = 6;

/**
 * What one row is: the leading label columns (text and dates, and integers named like a year, period or code)
 * before the first figure, a column holding one value throughout left out, a code and its name counted once.
 */
export function rowGrain(t: DraftTable): string | undefined {
  const keys: string[] = [];
  for (const c of t.columns) {
    const label = c.type === 'text' || c.type === 'date' || (c.type === 'integer' && INTEGER_KEY.test(humanise(c.header)));
    if (!label) break;
    if (c.samples.length === 1 && c.null_count === 0 && t.row_count > 1) continue; // one value throughout
    const stem = humanise(c.header).replace(/\b(code|name|description|desc)$/i, '').trim() || humanise(c.header);
    if (!keys.some((k) => k.toLowerCase() === stem.toLowerCase())) keys.push(stem);
  }
  if (!keys.length) return undefined;
  const shown = keys.length > MAX_GRAIN ? [...keys.slice(0, MAX_GRAIN - 1), `${keys.length - MAX_GRAIN + 1} more columns`] : keys;
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return `One row per ${list}.`;
}

/** Abbreviations kept in capitals when a header in capitals is put in words. */
const ACRONYMS = new Set(['NHS', 'GP', 'GPS', 'PCN', 'ICB', 'CCG', 'ONS', 'STP', 'ICS', 'RTT', 'AE', 'HCP', 'FTE', 'OIS', 'IS', 'UK', 'ID', 'LSOA', 'ODS', 'CQC', 'SHA']);

/** `PCN_CODE` → `PCN code`, `Breakdown1Code` → `breakdown1 code`, `Treatment Function Code` → `treatment function code`. */
export function humanise(header: string): string {
  const plain = plainText(header);
  const capitals = !/[a-z]/.test(plain);
  const words = plain
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean);
  return words.map((w) => ((capitals ? ACRONYMS.has(w.toUpperCase()) : /^[A-Z]{2,5}s?$/.test(w)) ? w : w.toLowerCase())).join(' ');
}

/** A header as a label: as published, unless it is one identifier-like word (`EXTRACT_DATE`), which is put in words. */
export function headerLabel(header: string): string {
  const plain = plainText(header);
  // Words as published; an identifier (`EXTRACT_DATE`, `PublicationDate`, `value`) is put in words.
  if (/\s/.test(plain) && !/_/.test(plain)) return plain;
  const words = humanise(plain);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What a table's rows are when it holds totals or derived rows beside the detail rows. */
export function rowKindsSentence(t: DraftTable): string | undefined {
  const k = t.row_kinds ?? {};
  const other = ['total', 'subtotal', 'derived'].filter((x) => (k[x] ?? 0) > 0);
  if (!other.length) return undefined;
  const what = other.map((x) => (x === 'derived' ? 'derived rows (changes and shares computed by the publisher)' : `${x} rows`));
  const list = what.length === 1 ? what[0] : `${what.slice(0, -1).join(', ')} and ${what[what.length - 1]}`;
  return `Holds ${list} beside the detail rows, each flagged in _row_kind: sum only detail rows.`;
}
