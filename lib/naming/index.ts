/**
 * Names and identity: snake_case table and column names an analyst can type, derived deterministically from
 * sheet titles, captions, sheet names, file names and headers, with every date, period, size token and random file
 * id removed, so the same table gets the same name every period (the old system made one table per month from
 * names like `tbl_xlsx_77252_provider`). They fit PostgreSQL's 63 bytes by abbreviation, never by a hash.
 */
import { fitParts, fitWords, MAX_IDENT, words } from './words.ts';
import { isDateWord, looksLikeFileId, nameStem } from './stems.ts';

export { ABBREVIATIONS, MAX_IDENT, PHRASES, fitParts, fitWords, words } from './words.ts';
export { nameStem } from './stems.ts';

/** snake_case identifier from free text; never empty, never starting with a digit or underscore. */
export function snake(text: string, fallback = 'unnamed'): string {
  const w = words(text).join('_');
  if (!w) return fallback;
  return /^[0-9]/.test(w) ? `c_${w}` : w;
}

/**
 * Cuts a name the user chose (an override) to `max` bytes. Derived names never need this: they are fitted by
 * {@link fitWords}. A user's own name is kept as it is when it fits, and otherwise said to be too long.
 */
export function fitIdent(name: string, max = MAX_IDENT): string {
  return name.length <= max ? name : fitWords(name.split('_').filter(Boolean), max).name;
}

/** What a name is made from, for one table found in a file. */
export interface TableNameParts {
  publication: string;
  fileName: string;
  member?: string;
  sheet?: string;
  caption?: string;
  /** The title in the metadata block above the table, when it has one. */
  title?: string;
  /** 1-based position among the tables of its sheet, and how many the sheet has. */
  indexInSheet: number;
  tablesInSheet: number;
  /** How many sheets of this file hold tables: a sheet name is added only when it tells tables apart. */
  sheetsWithTables: number;
  /** How many files of the period hold tables: the file's name is added only when it tells tables apart. */
  filesWithTables?: number;
}

/** A derived name and, when it had to be shortened, how. */
export interface DerivedName { name: string; shortened?: string[] }

/** Sheet names that say nothing about what a table is. */
const GENERIC_SHEET = /^(data|sheet\s*\d*|table\s*\d*|export|output|report|results?|csv|raw data)$/i;

/**
 * `<publication>_<what the table is>`: from the table's caption when its sheet holds several tables, the sheet's
 * name when the file holds several sheets of tables, and the file's name when the period has several files;
 * a single table is named by its caption or title, else its sheet, else its file. Words the publication code
 * already says are not repeated.
 */
export function tableName(p: TableNameParts): DerivedName {
  const parts: string[][] = [];
  const stem = words(nameStem(p.member ?? p.fileName).replace(/_/g, ' '));
  const sheet = p.sheet && !GENERIC_SHEET.test(p.sheet.trim()) ? sheetWords(p.sheet) : [];
  const caption = captionWords(p.caption ?? '');
  const many = (p.filesWithTables ?? 1) > 1 || p.sheetsWithTables > 1 || p.tablesInSheet > 1;
  if (!many) {
    // One table: a file name that says what it is (`oaps-open-data`, `RTT-Overview-Timeseries`) is the best name;
    // one made of ids and abbreviations (`gpearnextime`, `CCG_1_2_I00754_D`) gives way to the title.
    const title = captionWords(p.title ?? p.caption ?? '');
    parts.push(meaningful(stem) ? stem : content(title).length >= 3 ? title : sheet.length ? sheet : stem);
  } else {
    if ((p.filesWithTables ?? 1) > 1) parts.push(stem);
    const captionHasId = p.tablesInSheet > 1 && /^[a-z]{0,2}\d+[a-z]?$/.test(caption[0] ?? '');
    if (p.sheetsWithTables > 1 && !captionHasId) parts.push(sheet.length ? sheet : words(p.sheet ?? ''));
    if (p.tablesInSheet > 1) parts.push(caption.length ? caption : [`t${p.indexInSheet}`]);
  }
  const rest = withoutPublication(dedupe(parts.flat()), p.publication);
  if (!rest.length) return { name: p.publication };
  const { name, shortened } = fitWords(rest, MAX_IDENT - p.publication.length - 1);
  return { name: `${p.publication}_${name}`, ...(shortened.length ? { shortened } : {}) };
}

/**
 * Leading words the publication code already says are not said again (`rtt_nonadmitted_provider` and a file
 * `NonAdmitted-Provider`), nor its first word anywhere (`ae` of `ae_attendances` in `Monthly-AE-Time-Series`);
 * other words further on stay (`gp_earnings` and `average earnings and expenses`).
 */
function withoutPublication(ws: string[], publication: string): string[] {
  const said = new Set([...publication.split('_'), publication.replace(/_/g, '')]);
  const first = publication.split('_')[0];
  if (ws.some((w, k) => k > 0 && w === first)) ws = ws.filter((w, k) => k === 0 || w !== first);
  let i = 0;
  while (i < ws.length) {
    if (said.has(ws[i])) i++;
    else if (i + 1 < ws.length && said.has(ws[i] + ws[i + 1])) i += 2;
    else break;
  }
  return ws.slice(i);
}

/** A file stem that reads as words: at least two of three letters or more (not `gpearnextime`, not `ccg_1_2_d`). */
const meaningful = (ws: string[]) => ws.filter((w) => /^[a-z]{3,}$/.test(w)).length >= 2;

/** "Table E1- Mean earnings 2022/23 [note 4]" → e1 mean earnings: the table's number first, no notes, no dates. */
function captionWords(caption: string): string[] {
  const cleaned = caption
    .replace(/\[\s*note[^\]]*\]/gi, ' ')
    .replace(/^\s*table\s+/i, '')
    .replace(/\b\d{4}\s*\/\s*\d{2,4}\b/g, ' ')
    .replace(/\b(19|20)\d{2}\b/g, ' ');
  return words(cleaned).filter((w) => !isDateWord(w));
}

/** "1a. Contractor earn. by country" → 1a contractor earn by country (the sheet's number kept: it is how people cite it). */
function sheetWords(sheet: string): string[] {
  return words(sheet.replace(/\[\s*note[^\]]*\]/gi, ' ')).filter((w) => !isDateWord(w));
}

const CONTENT_FILLER = new Set(['data', 'level', 'table', 'and', 'of', 'the', 'by', 'in', 'for', 'england']);
const content = (ws: string[]) => ws.filter((w) => !CONTENT_FILLER.has(w) && !looksLikeFileId(w));

/** Words in order, each once (numbers may repeat: `type 1`, `1 2`). */
function dedupe(ws: string[]): string[] {
  return ws.filter((w, i) => /^\d+$/.test(w) || ws.indexOf(w) === i);
}

/**
 * Unique snake_case column names for a table's headers, in order, each at most 63 bytes: long ones are fitted
 * (see {@link fitWords}), and what is left equal is numbered `_2`, `_3`.
 */
export function columnNames(headers: string[]): string[] {
  const used = new Set<string>();
  return headers.map((h, i) => {
    const parts = h.split(/\s+-\s+/).map(words).filter((p) => p.length);
    if (parts.length && /^[0-9]/.test(parts[0][0])) parts[0].unshift('c');
    const base = parts.length ? fitParts(parts, MAX_IDENT - 3).name : `column_${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/** Jaccard similarity of two name sets, ignoring year tokens so wide time series still match. */
export function columnSimilarity(a: string[], b: string[]): number {
  const norm = (s: string) => s.replace(/_?(19|20)\d{2}(_\d{2})?/g, '').replace(/_+$/, '');
  const A = new Set(a.map(norm));
  const B = new Set(b.map(norm));
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  const union = A.size + B.size - inter;
  return union === 0 ? 0 : inter / union;
}
