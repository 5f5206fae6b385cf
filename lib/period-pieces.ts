/**
 * Tolerant reading of file names and text, for period-text.ts. The text is cut into pieces (letter runs, digit runs,
 * camel-case parts) that remember the separator before them; small matchers then recognise the period forms at each
 * position, most specific first, and consume the pieces they use.
 */
import { dayPeriod, fiscalQuarterPeriod, fiscalYearPeriod, inYearRange, monthOfFiscalYear, monthPeriod, yearPeriod, type Period } from './periods.ts';

/** One letter or digit run, with the separator that preceded it ('' when glued to the previous run). */
interface Piece {
  lower: string;
  num: boolean;
  sep: string;
  /** Part of a size token, version, or random id: never part of a period, and breaks adjacency. */
  noise: boolean;
}

/** A period written in the text; `excluded` when it is a publication date or the open start of "… - present". */
export interface Mention {
  period: Period;
  excluded: boolean;
}

/** What a matcher consumed: up to `end` (exclusive); no period when the form is recognised but ambiguous. */
interface Match {
  period?: Period;
  end: number;
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11,
  november: 11, dec: 12, december: 12,
};
const MONTH_ALT = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');
/** Whole words that mix letters and digits but are periods, so they are not mistaken for random ids. */
const PERIOD_WORD = new RegExp(`^(?:\\d{1,2})?(?:${MONTH_ALT})(?:\\d{2}|\\d{4})$|^fy\\d{2,4}$`, 'i');
const SIZE_WORD = /^\d+(?:\.\d+)?[kmg]b?$/i;
const VERSION_WORD = /^v\d+$/i;
/** NHS England's random tokens (`F5ldj2`, `SrRW6y`, `51121BZ`) and numeric upload ids (`87700`). */
const ID_WORD = /^(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{5,7}$/i;
const NUMERIC_ID = /^(?:\d{5}|\d{7}|\d{9,})$/;
/** Words seen between a month and its year (`MHSDS Data_AprPrf_2021`, `MHSDS Data_JanPerf_2026`). */
const LINK_WORDS = new Set(['prf', 'perf', 'performance', 'provisional', 'final', 'revised']);
const PUBLISHED_WORDS = new Set(['published', 'publication']);
const ORDINALS = new Set(['st', 'nd', 'rd', 'th']);
const FILE_EXTENSION = /\.(?:xlsx|xlsm|xlsb|xls|csv|zip|ods|txt|pdf|json)$/i;

/** Two-digit years: 00–69 are 2000s, 70–99 are 1900s. */
const fullYear = (yy: number): number => (yy <= 69 ? 2000 + yy : 1900 + yy);

/** The part of the text that names the file: the last segment of a URL or file path, decoded, without extensions. */
function fileNamePart(text: string): string {
  let s = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    // Only the last segment: upload folders (`/2024/04/`) are the publication month, not the data month.
    s = s.replace(/[?#].*$/, '').replace(/\/+$/, '');
    s = s.slice(s.lastIndexOf('/') + 1);
  }
  // A file path: only the file's own name (folders such as `downloads/<sha256>/` hold digit runs).
  const base = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  if (base !== s && FILE_EXTENSION.test(base)) s = base;
  if (/%[0-9a-f]{2}/i.test(s)) {
    try {
      s = decodeURIComponent(s);
    } catch {
      // Malformed escapes: read the text as written.
    }
  }
  while (FILE_EXTENSION.test(s)) s = s.replace(FILE_EXTENSION, '');
  return s;
}

function toPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(/[A-Za-z0-9]+/g)) {
    const word = m[0];
    const gap = text.slice(last, m.index);
    last = m.index + word.length;
    const noise =
      SIZE_WORD.test(word) || VERSION_WORD.test(word) || NUMERIC_ID.test(word) || (ID_WORD.test(word) && !PERIOD_WORD.test(word));
    const parts = word.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? [];
    parts.forEach((part, k) => {
      const sep = k > 0 ? '' : gap.trim() || (gap ? ' ' : '');
      pieces.push({ lower: part.toLowerCase(), num: /^\d/.test(part), sep, noise });
    });
  }
  return pieces;
}

/** Scan the text for every period it writes, left to right. */
export function findPeriodMentions(text: string): Mention[] {
  const p = toPieces(fileNamePart(text));
  const mentions: Mention[] = [];
  let i = 0;
  while (i < p.length) {
    const match = p[i]!.noise ? undefined : matchAt(p, i);
    if (!match) {
      i += 1;
      continue;
    }
    if (match.period) mentions.push({ period: match.period, excluded: isPublished(p, i) || isOpenStart(p, match.end) });
    i = match.end;
  }
  return mentions;
}

const MATCHERS: Array<(p: Piece[], i: number) => Match | undefined> = [
  matchFyPrefix, matchQuarterFirst, matchNumericDay, matchNamedDay, matchMonthName, matchNumericMonth, matchFiscal, matchYear,
];

function matchAt(p: Piece[], i: number): Match | undefined {
  for (const matcher of MATCHERS) {
    const m = matcher(p, i);
    if (m) return m;
  }
  return undefined;
}

// Piece accessors: noise pieces read as absent, so a random id between two tokens breaks a form.
const piece = (p: Piece[], j: number): Piece | undefined => (p[j] && !p[j]!.noise ? p[j] : undefined);
const numAt = (p: Piece[], j: number, ...lengths: number[]): number | undefined => {
  const x = piece(p, j);
  return x?.num && lengths.includes(x.lower.length) ? Number(x.lower) : undefined;
};
const monthAt = (p: Piece[], j: number): number | undefined => {
  const x = piece(p, j);
  return x && !x.num ? MONTHS[x.lower] : undefined;
};
/** Glued or one ordinary separator: `Jan24`, `Jan-24`, `Jan_24`, `January 2024`, `Apr, 2024`. */
const close = (p: Piece[], j: number): boolean => /^[-_.,'’ ]?$/.test(p[j]?.sep ?? 'x');
const sepIs = (p: Piece[], j: number, ...seps: string[]): boolean => seps.includes(p[j]?.sep ?? 'x');

/** `2024-25`, `2024/25`, `2024_25`, `2025-2026`, `202223`, `1718`: the financial year starting in the returned year. */
function fyPairAt(p: Piece[], j: number): { startYear: number; end: number } | undefined {
  const a = piece(p, j);
  if (!a?.num) return undefined;
  const y = Number(a.lower);
  if (a.lower.length === 4 && inYearRange(y) && sepIs(p, j + 1, '-', '/', '_')) {
    if (numAt(p, j + 1, 2) === (y + 1) % 100 || numAt(p, j + 1, 4) === y + 1) return { startYear: y, end: j + 2 };
  }
  if (a.lower.length === 4 && !inYearRange(y)) {
    const [s, e] = [Number(a.lower.slice(0, 2)), Number(a.lower.slice(2))];
    if ((s + 1) % 100 === e) return { startYear: fullYear(s), end: j + 1 };
  }
  if (a.lower.length === 6) {
    const [s, e] = [Number(a.lower.slice(0, 4)), Number(a.lower.slice(4))];
    if (inYearRange(s) && (s + 1) % 100 === e) return { startYear: s, end: j + 1 };
  }
  return undefined;
}

/** `Q3` or `Quarter-3` (quarters 1–4). */
function quarterAt(p: Piece[], j: number): { q: number; end: number } | undefined {
  const x = piece(p, j);
  const q = numAt(p, j + 1, 1);
  if (!x || q === undefined || q < 1 || q > 4) return undefined;
  if ((x.lower === 'q' && sepIs(p, j + 1, '')) || (x.lower === 'quarter' && close(p, j + 1))) return { q, end: j + 2 };
  return undefined;
}

/** `FY2024-25`, `FY 2024/25`, `FY2024-25-Q1`. */
function matchFyPrefix(p: Piece[], i: number): Match | undefined {
  if (piece(p, i)?.lower !== 'fy' || !close(p, i + 1)) return undefined;
  const fy = fyPairAt(p, i + 1);
  if (!fy) return undefined;
  const q = close(p, fy.end) ? quarterAt(p, fy.end) : undefined;
  return q ? { period: fiscalQuarterPeriod(fy.startYear, q.q), end: q.end } : { period: fiscalYearPeriod(fy.startYear), end: fy.end };
}

/** `Q1-2024-25`, `Quarter-3-2025-26`, `q2-2526`; `Q1 2025` is consumed but gives nothing (calendar or financial?). */
function matchQuarterFirst(p: Piece[], i: number): Match | undefined {
  const q = quarterAt(p, i);
  if (!q || !close(p, q.end)) return undefined;
  const fy = fyPairAt(p, q.end);
  if (fy) return { period: fiscalQuarterPeriod(fy.startYear, q.q), end: fy.end };
  const y = numAt(p, q.end, 4);
  return y !== undefined && inYearRange(y) ? { end: q.end + 1 } : undefined;
}

/** `2026-02-01`, `20251228`, `01/05/2025` (UK day/month/year), `01-05-2025`. */
function matchNumericDay(p: Piece[], i: number): Match | undefined {
  const eight = numAt(p, i, 8);
  if (eight !== undefined) {
    const s = String(eight);
    const day = dayPeriod(+s.slice(0, 4), +s.slice(4, 6), +s.slice(6));
    return day ? { period: day, end: i + 1 } : undefined;
  }
  const sep = p[i + 1]?.sep ?? '';
  if (!['-', '/', '.', '_'].includes(sep) || p[i + 2]?.sep !== sep) return undefined;
  const y = numAt(p, i, 4);
  const ymd = y !== undefined ? dayPeriod(y, numAt(p, i + 1, 1, 2) ?? 0, numAt(p, i + 2, 1, 2) ?? 0) : undefined;
  if (ymd) return { period: ymd, end: i + 3 };
  const yr = numAt(p, i + 2, 4);
  const dmy = yr !== undefined ? dayPeriod(yr, numAt(p, i + 1, 1, 2) ?? 0, numAt(p, i, 1, 2) ?? 0) : undefined;
  return dmy ? { period: dmy, end: i + 3 } : undefined;
}

/** `01JAN2021`, `31-october-2025`, `8th February 2024`, `28-Dec-2025`, and `February 8th, 2024`. */
function matchNamedDay(p: Piece[], i: number): Match | undefined {
  const d = numAt(p, i, 1, 2);
  if (d !== undefined) {
    let j = i + 1;
    if (ORDINALS.has(piece(p, j)?.lower ?? '') && sepIs(p, j, '')) j += 1;
    const m = monthAt(p, j);
    const sep = p[j]?.sep;
    // Both gaps must be the same separator, so "Table 1 - April 2024" is not read as 1 April.
    if (m === undefined || !close(p, j) || p[j + 1]?.sep !== sep) return undefined;
    const y = numAt(p, j + 1, 4) ?? (numAt(p, j + 1, 2) !== undefined ? fullYear(numAt(p, j + 1, 2)!) : undefined);
    const day = y !== undefined ? dayPeriod(y, m, d) : undefined;
    return day ? { period: day, end: j + 2 } : undefined;
  }
  const m = monthAt(p, i);
  const dd = numAt(p, i + 1, 1, 2);
  if (m === undefined || dd === undefined || !close(p, i + 1)) return undefined;
  let j = i + 2;
  if (ORDINALS.has(piece(p, j)?.lower ?? '') && sepIs(p, j, '')) j += 1;
  const y = close(p, j) ? numAt(p, j, 4) : undefined;
  const day = y !== undefined ? dayPeriod(y, m, dd) : undefined;
  return day ? { period: day, end: j + 1 } : undefined;
}

/** `January-2024`, `Jan24`, `Jan-24`, `Jan_24`, `MAR2019`, `September 2025`, `AprPrf_2021`. */
function matchMonthName(p: Piece[], i: number): Match | undefined {
  const m = monthAt(p, i);
  if (m === undefined) return undefined;
  let j = i + 1;
  if (LINK_WORDS.has(piece(p, j)?.lower ?? '') && close(p, j) && numAt(p, j + 1, 4) !== undefined) j += 1;
  if (!close(p, j)) return undefined;
  const y4 = numAt(p, j, 4);
  if (y4 !== undefined) return inYearRange(y4) ? { period: monthPeriod(y4, m), end: j + 1 } : undefined;
  const y2 = j === i + 1 ? numAt(p, j, 2) : undefined;
  return y2 !== undefined ? { period: monthPeriod(fullYear(y2), m), end: j + 1 } : undefined;
}

/** `2025-11`, `2025_11`, `2017/02` (but `2022/23` is a financial year), `202511`, `102024` (MMYYYY). */
function matchNumericMonth(p: Piece[], i: number): Match | undefined {
  const six = piece(p, i)?.num && p[i]!.lower.length === 6 ? p[i]!.lower : undefined;
  if (six) {
    const yyyymm = monthPeriod(+six.slice(0, 4), +six.slice(4));
    if (yyyymm) return { period: yyyymm, end: i + 1 };
    if (fyPairAt(p, i)) return undefined;
    const mmyyyy = monthPeriod(+six.slice(2), +six.slice(0, 2));
    return mmyyyy ? { period: mmyyyy, end: i + 1 } : undefined;
  }
  const y = numAt(p, i, 4);
  const m = numAt(p, i + 1, 1, 2);
  if (y === undefined || m === undefined || !sepIs(p, i + 1, '-', '_', '/')) return undefined;
  if (p[i + 1]!.sep === '/' && (y + 1) % 100 === m) return undefined;
  const month = monthPeriod(y, m);
  return month ? { period: month, end: i + 2 } : undefined;
}

/** `2024-25`, `2022/23`, `1718`, `202223`, with an optional `_03` calendar month or `Q3` after it. */
function matchFiscal(p: Piece[], i: number): Match | undefined {
  const fy = fyPairAt(p, i);
  if (!fy) return undefined;
  const mm = sepIs(p, fy.end, '_', '-') && piece(p, fy.end)?.lower.length === 2 ? numAt(p, fy.end, 2) : undefined;
  const month = mm !== undefined ? monthOfFiscalYear(fy.startYear, mm) : undefined;
  if (month) return { period: month, end: fy.end + 1 };
  const q = close(p, fy.end) ? quarterAt(p, fy.end) : undefined;
  if (q) return { period: fiscalQuarterPeriod(fy.startYear, q.q), end: q.end };
  return { period: fiscalYearPeriod(fy.startYear), end: fy.end };
}

/** A bare year, 1948–2099. */
function matchYear(p: Piece[], i: number): Match | undefined {
  const y = numAt(p, i, 4);
  return y !== undefined && inYearRange(y) ? { period: yearPeriod(y), end: i + 1 } : undefined;
}

/** "Published: 8th February 2024", "Published-May-2024": the release date, not the data period. */
function isPublished(p: Piece[], i: number): boolean {
  const before = p[i - 1]?.lower === 'on' ? p[i - 2] : p[i - 1];
  return PUBLISHED_WORDS.has(before?.lower ?? '');
}

/** "August 2010 - present", "April 2020 to date": an open range, whose start is not the period of the file. */
function isOpenStart(p: Piece[], end: number): boolean {
  const next = p[end]?.lower;
  return next === 'present' || (next === 'to' && p[end + 1]?.lower === 'date');
}
