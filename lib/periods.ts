/**
 * Periods: the canonical labels every stage uses (`2025-05`, `2025-05-31`, `2025`, `FY2024-25`,
 * `FY2024-25-Q1`) and their calendar spans. Reading a period out of a file name or a title, however
 * NHS publishers write it, is `period-text.ts`.
 *
 * NHS financial years run 1 April – 31 March; `FY2024-25` is 1 Apr 2024 – 31 Mar 2025 and its quarters
 * are Q1 Apr–Jun 2024, Q2 Jul–Sep 2024, Q3 Oct–Dec 2024, Q4 Jan–Mar 2025. Quarters are always
 * labelled by the financial year they belong to, never by an end year (`FY25-Q1` meant different
 * things in different modules of the old system, so that form is not accepted).
 */

/** The granularity of a period. */
export type PeriodKind = 'day' | 'month' | 'year' | 'fiscal-year' | 'fiscal-quarter';

/** A period: its canonical label, its kind, and its first and last day (ISO `YYYY-MM-DD`, both inclusive). */
export interface Period {
  label: string;
  kind: PeriodKind;
  start: string;
  end: string;
}

/** Years outside this range are not NHS data (the NHS was founded in 1948) and are treated as noise. */
export const MIN_YEAR = 1948;
/** Last accepted year: keeps four-digit ids and `2526`-style year pairs from reading as years. */
export const MAX_YEAR = 2099;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** English month names, January first (`MONTH_NAMES[m - 1]` for month `m`). */
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** Number of days in month `m` (1–12) of year `y`, computed without the clock or `Date`. */
export function daysInMonth(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

/** True for a whole year from {@link MIN_YEAR} to {@link MAX_YEAR}. */
export const inYearRange = (y: number): boolean => Number.isInteger(y) && y >= MIN_YEAR && y <= MAX_YEAR;
const iso = (y: number, m: number, d: number): string => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

/** The single day `y-m-d`, or undefined when it is not a real calendar date (e.g. 2023-02-29). */
export function dayPeriod(y: number, m: number, d: number): Period | undefined {
  if (!inYearRange(y) || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  const day = iso(y, m, d);
  return { label: day, kind: 'day', start: day, end: day };
}

/** Calendar month `m` (1–12) of year `y`. */
export function monthPeriod(y: number, m: number): Period | undefined {
  if (!inYearRange(y) || !Number.isInteger(m) || m < 1 || m > 12) return undefined;
  return { label: `${pad(y, 4)}-${pad(m)}`, kind: 'month', start: iso(y, m, 1), end: iso(y, m, daysInMonth(y, m)) };
}

/** Calendar year `y` (1 January – 31 December). */
export function yearPeriod(y: number): Period | undefined {
  if (!inYearRange(y)) return undefined;
  return { label: pad(y, 4), kind: 'year', start: iso(y, 1, 1), end: iso(y, 12, 31) };
}

const fiscalYearLabel = (startYear: number): string => `FY${startYear}-${pad((startYear + 1) % 100)}`;

/** The NHS financial year starting 1 April `startYear` (`FY2024-25` for 2024). */
export function fiscalYearPeriod(startYear: number): Period | undefined {
  if (!inYearRange(startYear)) return undefined;
  return {
    label: fiscalYearLabel(startYear),
    kind: 'fiscal-year',
    start: iso(startYear, 4, 1),
    end: iso(startYear + 1, 3, 31),
  };
}

/** Quarter `q` (1–4) of the financial year starting in `startYear`: Q1 = Apr–Jun … Q4 = Jan–Mar of the next year. */
export function fiscalQuarterPeriod(startYear: number, q: number): Period | undefined {
  if (!inYearRange(startYear) || !Number.isInteger(q) || q < 1 || q > 4) return undefined;
  const firstMonth = q === 4 ? 1 : 4 + 3 * (q - 1);
  const year = q === 4 ? startYear + 1 : startYear;
  return {
    label: `${fiscalYearLabel(startYear)}-Q${q}`,
    kind: 'fiscal-quarter',
    start: iso(year, firstMonth, 1),
    end: iso(year, firstMonth + 2, daysInMonth(year, firstMonth + 2)),
  };
}

/** The calendar month a financial-year month number falls in: 04–12 in the first year, 01–03 in the second. */
export function monthOfFiscalYear(startYear: number, month: number): Period | undefined {
  return monthPeriod(month >= 4 ? startYear : startYear + 1, month);
}

const CANONICAL: Array<[RegExp, (m: RegExpMatchArray) => Period | undefined]> = [
  [/^(\d{4})$/, (m) => yearPeriod(+m[1]!)],
  [/^(\d{4})-(\d{2})$/, (m) => monthPeriod(+m[1]!, +m[2]!)],
  [/^(\d{4})-(\d{2})-(\d{2})$/, (m) => dayPeriod(+m[1]!, +m[2]!, +m[3]!)],
  [/^FY(\d{4})-(\d{2})$/, (m) => ((+m[1]! + 1) % 100 === +m[2]! ? fiscalYearPeriod(+m[1]!) : undefined)],
  [/^FY(\d{4})-(\d{2})-Q([1-4])$/, (m) => ((+m[1]! + 1) % 100 === +m[2]! ? fiscalQuarterPeriod(+m[1]!, +m[3]!) : undefined)],
];

/**
 * Parse a canonical period label, exactly as written (no trimming, no alternative spellings).
 * Returns undefined for anything else, including impossible dates (`2023-02-29`), month 13
 * (`2024-13`), non-consecutive financial years (`FY2024-26`) and quarter 5 (`FY2024-25-Q5`).
 *
 * @example parsePeriod('FY2024-25-Q4') // { label: 'FY2024-25-Q4', kind: 'fiscal-quarter', start: '2025-01-01', end: '2025-03-31' }
 */
export function parsePeriod(label: string): Period | undefined {
  for (const [re, make] of CANONICAL) {
    const m = label.match(re);
    if (m) return make(m);
  }
  return undefined;
}

/** Order periods by first day, then by last day (so a month sorts before the quarter that starts with it). */
export function comparePeriods(a: Period, b: Period): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.end !== b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

/** Order period labels by date ({@link comparePeriods}); a label that is not a period sorts after those that are, by text. */
export function comparePeriodLabels(a: string, b: string): number {
  const [x, y] = [parsePeriod(a), parsePeriod(b)];
  if (x && y) return comparePeriods(x, y) || (a < b ? -1 : a > b ? 1 : 0);
  if (x || y) return x ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `outer` covers every day of `inner`. */
export function periodContains(outer: Period, inner: Period): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * The accepted canonical forms, with examples, for error hints.
 *
 * @example describePeriodSyntax() // 'a period is written as `2025-05` (a month), …'
 */
export function describePeriodSyntax(): string {
  return (
    'a period is written as `2025-05` (a month), `2025-05-31` (a day), `2025` (a calendar year), ' +
    '`FY2024-25` (an NHS financial year, 1 April 2024 to 31 March 2025) or `FY2024-25-Q1` ' +
    '(a financial quarter: Q1 April-June, Q2 July-September, Q3 October-December, Q4 January-March)'
  );
}
