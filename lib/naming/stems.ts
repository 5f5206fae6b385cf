/**
 * What a file or member name says about its content: no extension, dates, periods, sizes, revisions or random
 * upload ids (NHS England appends `-F5ldj2`, `-87700`, `-XLSX-4M` to the same file every month).
 */
import { words } from './words.ts';

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
];
const MONTH_RE = MONTHS.join('|');

/** Tokens that say *when* or *which upload*, never *what*. */
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

/** A word of a file name that says when, which upload or which format, never what. */
export function isNoise(w: string): boolean {
  return NOISE_PATTERNS.some((re) => re.test(w));
}

/** Dates in running text (a caption, a sheet name): months, years, quarters. A bare `75` there is content (`Under 75`). */
const DATE_PATTERNS: RegExp[] = [NOISE_PATTERNS[0], NOISE_PATTERNS[1], NOISE_PATTERNS[2], NOISE_PATTERNS[3], NOISE_PATTERNS[6], /^q[1-4]$/, /^fy\d{0,4}$/];

export function isDateWord(w: string): boolean {
  return DATE_PATTERNS.some((re) => re.test(w));
}

/** A 5–7 character random upload id (`F5ldj2`, `1Xmjkk`, `SrRW6y`, `8HM0N`, `87700`, `I00754`), judged on the raw token. */
export function looksLikeFileId(raw: string): boolean {
  if (!/^[A-Za-z0-9]{5,7}$/.test(raw)) return false;
  if (/^\d{5,7}$/.test(raw)) return true; // 87700, 68395
  const hasDigit = /\d/.test(raw);
  const mixedCase = /[a-z]/.test(raw) && /[A-Z]/.test(raw) && !/^[A-Z][a-z]+$/.test(raw);
  const upperWithDigit = /^[A-Z0-9]+$/.test(raw) && hasDigit;
  return (hasDigit && /[A-Za-z]/.test(raw) && (mixedCase || upperWithDigit)) || (mixedCase && /[a-z][A-Z]|[A-Z]{2}[a-z]/.test(raw));
}

/** File or member name reduced to what it says about content: no extension, dates, ids, sizes or revisions. */
export function nameStem(fileName: string): string {
  const base = fileName
    .replace(/^.*[\\/]/, '')
    .replace(/\.(xlsx|xlsm|xls|ods|csv|zip|txt)$/i, '')
    .replace(/(^|[-_ .])v\d+([-_.]\d+)*(?=[-_ .]|$)/gi, '$1'); // version suffixes: -v2-1, _v3
  const kept: string[] = [];
  for (const raw of base.split(/[^A-Za-z0-9<>&%]+/).filter(Boolean)) {
    if (looksLikeFileId(raw)) continue;
    for (const w of words(raw)) if (!isNoise(w)) kept.push(w);
  }
  return kept.join('_');
}
