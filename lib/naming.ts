/**
 * Names and identity: snake_case table and column names derived deterministically from file names, sheet
 * names, captions and headers, with every date, period, size token and random file id removed, so the same
 * table gets the same name every period (the old system made one table per month from names like
 * `tbl_xlsx_77252_provider`). PostgreSQL identifiers are at most 63 bytes.
 */
import { createHash } from 'node:crypto';

export const MAX_IDENT = 63;

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
];
const MONTH_RE = MONTHS.join('|');

/** Tokens that say *when* or *which upload*, never *what*: removed from names. */
const NOISE_PATTERNS: RegExp[] = [
  new RegExp(`^(${MONTH_RE})(\\d{2}|\\d{4})?$`), // jan, jan24, january2024, mar2019
  new RegExp(`^\\d{1,2}(${MONTH_RE})\\d{2,4}$`), // 01jan2021
  /^(19|20)\d{2}$/, // 2024
  /^(19|20)\d{2}(0[1-9]|1[0-2])$/, // 202511
  /^\d{2}$/, // 24 (two-digit year or month)
  /^\d{4}$/, // 1718 (fiscal year pair), 0325
  /^\d{6}$/, // 202223
  /^q[1-4]$/, /^quarter$/, /^fy\d{0,4}$/, /^h[12]$/,
  /^(revised|final|provisional|prov|draft|updated|amended|v\d+|rev\d*|copy)$/,
  /^(xlsx?|xlsm|ods|csv|zip|pdf)$/, // format tokens in NHS England names (XLSX-4M)
  /^\d+(\.\d+)?[km]b?$/, // size tokens 4M, 77K, 3855K
];

/** A 5–7 character random upload id (`F5ldj2`, `1Xmjkk`, `SrRW6y`, `8HM0N`, `87700`), judged on the raw token. */
function looksLikeFileId(raw: string): boolean {
  if (!/^[A-Za-z0-9]{5,7}$/.test(raw)) return false;
  if (/^\d{5,7}$/.test(raw)) return true; // 87700, 68395
  const hasDigit = /\d/.test(raw);
  const mixedCase = /[a-z]/.test(raw) && /[A-Z]/.test(raw) && !/^[A-Z][a-z]+$/.test(raw);
  const upperWithDigit = /^[A-Z0-9]+$/.test(raw) && hasDigit;
  return (hasDigit && /[A-Za-z]/.test(raw) && (mixedCase || upperWithDigit)) || (mixedCase && /[a-z][A-Z]|[A-Z]{2}[a-z]/.test(raw));
}

/** Splits text into lowercase ASCII words (accents folded, `&` → and). */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/&/g, ' and ')
    .replace(/%/g, ' pct ')
    .replace(/£/g, ' gbp ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** snake_case identifier from free text; never empty, never starting with a digit or underscore. */
export function snake(text: string, fallback = 'unnamed'): string {
  const w = words(text).join('_');
  if (!w) return fallback;
  return /^[0-9]/.test(w) ? `c_${w}` : w;
}

/** Cuts an identifier to `max` bytes, keeping it unique with a short hash of the full name. */
export function fitIdent(name: string, max = MAX_IDENT): string {
  if (name.length <= max) return name;
  const h = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, max - 7).replace(/_+$/, '')}_${h}`;
}

/** File or member name reduced to what it says about content: no extension, dates, ids, sizes or revisions. */
export function nameStem(fileName: string): string {
  const base = fileName
    .replace(/^.*[\\/]/, '')
    .replace(/\.(xlsx|xlsm|xls|ods|csv|zip|txt)$/i, '')
    .replace(/(^|[-_ .])v\d+([-_.]\d+)*(?=[-_ .]|$)/gi, '$1'); // version suffixes: -v2-1, _v3
  const rawTokens = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const kept: string[] = [];
  for (const raw of rawTokens) {
    if (looksLikeFileId(raw)) continue;
    for (const w of words(raw)) {
      if (!NOISE_PATTERNS.some((re) => re.test(w))) kept.push(w);
    }
  }
  return kept.join('_');
}

/** What a name is made from, for one table found in a file. */
export interface TableNameParts {
  publication: string;
  fileName: string;
  member?: string;
  sheet?: string;
  caption?: string;
  /** 1-based position among the tables of its sheet, and how many the sheet has. */
  indexInSheet: number;
  tablesInSheet: number;
  /** How many sheets of this file hold tables: a sheet name is added only when it tells tables apart. */
  sheetsWithTables: number;
}

/** The deterministic table name: `<publication>_<file stem>[_<sheet>][_<caption or tN>]`. */
export function tableName(p: TableNameParts): string {
  const parts: string[] = [];
  const stem = nameStem(p.member ? p.member : p.fileName);
  if (stem) parts.push(stem);
  if (p.sheet && p.sheetsWithTables > 1) parts.push(nameStem(p.sheet) || snake(p.sheet));
  if (p.tablesInSheet > 1) {
    const cap = p.caption ? captionStem(p.caption) : '';
    parts.push(cap || `t${p.indexInSheet}`);
  }
  let name = parts.filter(Boolean).join('_') || 'data';
  if (!(name === p.publication || name.startsWith(`${p.publication}_`))) name = `${p.publication}_${name}`;
  return fitIdent(name.replace(/_+/g, '_'));
}

/** "Table E1- Mean earnings 2022/23 [note 4]" → "table_e1_mean_earnings". */
function captionStem(caption: string): string {
  return words(caption.replace(/\[note[^\]]*\]/gi, ''))
    .filter((w) => !NOISE_PATTERNS.some((re) => re.test(w)))
    .slice(0, 6)
    .join('_');
}

/** Unique snake_case column names for a table's headers, in order; duplicates get `_2`, `_3`. */
export function columnNames(headers: string[]): string[] {
  const used = new Set<string>();
  return headers.map((h, i) => {
    const base = fitIdent(snake(h, `column_${i + 1}`).replace(/^_+/, ''), MAX_IDENT - 3);
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
