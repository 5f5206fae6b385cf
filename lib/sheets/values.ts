/**
 * Cell values: classifying one published value (number, date, marker, text …) and converting a value
 * to PostgreSQL input text. A column's type, from all its values, is inferred in `column-stats.ts`.
 *
 * Choices where the brief left room, all deliberate:
 * - Percentages: `+2.7%` becomes 2.7 (the number as published, in percent units), not 0.027, so the
 *   loaded value reads the same as the publication.
 * - Currency: a leading `£` and thousands separators are dropped (`£482,400` → 482400).
 * - Exponent forms such as `5.03563e+006` (C printf output in OAPs files) are numeric even when
 *   integral, because they are lossy floats, never counts.
 * - Whitespace: leading/trailing whitespace is trimmed; inner runs of spaces are kept exactly, because
 *   they are part of published category values (`8  to 14 Days`, `Lincolnshire  STP`).
 * - `2021/22` is a financial-year label (text); `2017/02` is February 2017 (a date). A value is a
 *   financial year when the second part is the year after the first.
 * - Dates with a time of day other than midnight are text (`YYYY-MM-DD HH:MM:SS`), so nothing is lost.
 */
import { SheetError, type Cell, type ColumnType, type SheetLocation } from './types.ts';

/** Suppression/special markers recognised in non-text columns. */
export const MARKERS = new Set(['*', '-', '..', '.', ':', 'c', 'z', 'x', '[c]', '[z]', '[x]', 'n/a', '~', '#n/a', '#div/0!', '#ref!', '#value!', '#num!', '#name?', '#null!']);

/** What one value looks like, ignoring the column it is in. */
export type ValueKind = 'empty' | 'marker' | 'bool' | 'int' | 'bigint' | 'num' | 'date' | 'text';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  january: 1, february: 2, march: 3, april: 4, june: 6, july: 7, august: 8, september: 9, october: 10, november: 11, december: 12,
};

// `£` and sign in either order, thousands groups well-formed, optional fraction, exponent and percent.
const NUMBER_RE = /^([+-])?£?([+-])?(\d+|\d{1,3}(?:,\d{3})+)(\.\d+)?([eE][+-]?\d+)?(%)?$/;
const CENSORED_RE = /^(?:[<>]=?\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\+)$/;

interface NumberParse {
  kind: 'int' | 'bigint' | 'num';
  /** PostgreSQL input text for the number. */
  text: string;
}

/** Parses a published number string (`£482,400`, `+2.7%`, `5.03563e+006`); undefined when it is not one. */
export function parseNumberText(s: string): NumberParse | undefined {
  const m = NUMBER_RE.exec(s);
  if (!m) return undefined;
  if (m[1] && m[2]) return undefined; // two signs
  const sign = m[1] ?? m[2] ?? '';
  const digits = m[3].replace(/,/g, '');
  // Leading zeros mark codes ('01234', '00'), which must stay text.
  if (digits.length > 1 && digits[0] === '0') return undefined;
  if (m[5]) {
    const n = Number(sign + digits + (m[4] ?? '') + m[5]);
    if (!Number.isFinite(n)) return undefined;
    return { kind: 'num', text: String(n) };
  }
  const neg = sign === '-' ? '-' : '';
  if (m[4] || m[6]) return { kind: 'num', text: neg + digits + (m[4] ?? '') };
  const big = BigInt(neg + digits);
  if (big >= BigInt(INT32_MIN) && big <= BigInt(INT32_MAX)) return { kind: 'int', text: big.toString() };
  if (big >= INT64_MIN && big <= INT64_MAX) return { kind: 'bigint', text: big.toString() };
  return { kind: 'num', text: big.toString() };
}

function isoDate(y: number, m: number, d: number): string | undefined {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return undefined;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Parses a published date string to ISO `YYYY-MM-DD`; undefined when it is not a date. */
export function parseDateText(s: string): string | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$/.exec(s);
  if (m) return isoDate(+m[1], +m[2], +m[3]);
  m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m) return isoDate(+m[1], +m[2], 1);
  m = /^(\d{1,2})([A-Za-z]{3})(\d{4})$/.exec(s); // 01JAN2021 (SAS DATE9)
  if (m) return MONTHS[m[2].toLowerCase()] ? isoDate(+m[3], MONTHS[m[2].toLowerCase()], +m[1]) : undefined;
  m = /^([A-Za-z]{3,9})[ -]?(\d{4})$/.exec(s); // MAR2019, Mar-2019, March 2019
  if (m) return MONTHS[m[1].toLowerCase()] ? isoDate(+m[2], MONTHS[m[1].toLowerCase()], 1) : undefined;
  m = /^([A-Za-z]{3})-(\d{2})$/.exec(s); // Mar-19
  if (m) return MONTHS[m[1].toLowerCase()] ? isoDate(2000 + +m[2], MONTHS[m[1].toLowerCase()], 1) : undefined;
  m = /^(\d{4})\/(\d{2})$/.exec(s); // 2017/02, but 2021/22 is a financial year
  if (m) {
    if (+m[2] === (+m[1] + 1) % 100) return undefined;
    return isoDate(+m[1], +m[2], 1);
  }
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s); // 01/05/2025, UK day-first
  if (m) return isoDate(+m[3], +m[2], +m[1]);
  return undefined;
}

/** True when the date has a time of day other than midnight (UTC). */
function hasTime(d: Date): boolean {
  return d.getUTCHours() !== 0 || d.getUTCMinutes() !== 0 || d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0;
}

/** ISO date (`YYYY-MM-DD`) of a Date, using UTC parts (the library builds all dates at UTC midnight). */
export function dateToIso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function dateTimeText(d: Date): string {
  return hasTime(d) ? d.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '') : dateToIso(d);
}

/** Converts an Excel serial day number to a UTC Date (1900 system, or 1904 when `date1904`). */
export function excelSerialToDate(serial: number, date1904 = false): Date {
  const ms = Math.round(serial * 86400000);
  if (date1904) return new Date(Date.UTC(1904, 0, 1) + ms);
  // Serials below 60 predate Excel's phantom 29 Feb 1900.
  return new Date(Date.UTC(1899, 11, serial < 60 ? 31 : 30) + ms);
}

/** True for a suppression/special marker or a censored value such as `52+` or `<5`. */
export function isMarkerText(s: string): boolean {
  return MARKERS.has(s.toLowerCase()) || CENSORED_RE.test(s);
}

/** Classifies one value on its own (no column context). */
export function classify(raw: Cell | undefined): ValueKind {
  if (raw === null || raw === undefined) return 'empty';
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return 'text';
    if (!Number.isInteger(raw)) return 'num';
    if (raw >= INT32_MIN && raw <= INT32_MAX) return 'int';
    return Number.isSafeInteger(raw) ? 'bigint' : 'num';
  }
  if (typeof raw === 'boolean') return 'bool';
  if (raw instanceof Date) return hasTime(raw) ? 'text' : 'date';
  const s = raw.trim();
  if (s === '') return 'empty';
  // Fast path for the commonest values of all, plain counts and decimals (no leading zero: '01234' is a code).
  const plain = plainNumber(s);
  if (plain !== 0) return plain === 1 ? 'int' : 'num';
  if (isMarkerText(s)) return 'marker';
  if (/^(true|false)$/i.test(s)) return 'bool';
  const n = parseNumberText(s);
  if (n) return n.kind;
  if (parseDateText(s)) return 'date';
  return 'text';
}

/**
 * `s.trim()`, without the call when it cannot change anything: a string that starts and ends with
 * printable ASCII has nothing to trim (`trim` also strips Unicode spaces, hence not just `> 32`).
 */
export function trimText(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(n - 1);
  return a > 32 && a < 127 && b > 32 && b < 127 ? s : s.trim();
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
/**
 * The value of the number `plainNumber` last recognised, in a typed array's slot: a module variable
 * costs no object per cell for a small integer, but a fraction stored in one is boxed, a new heap
 * number for every decimal cell of a file.
 */
const plainValue = new Float64Array(1);

/** The value of the number `plainNumber` recognised last. */
export const lastPlainValue = (): number => plainValue[0];

/**
 * The commonest published values, told apart without a regex: 1 for a plain count
 * (`-?(0|[1-9]\d{0,8})`, fits int4), 2 for a plain decimal (`-?(0|[1-9]\d*)\.\d+`), 0 for anything
 * else (left to `classify`). Leading zeros are codes (`01234`), never numbers. Sets `plainValue`:
 * with at most 15 digits the digits form an exact integer and one division by an exact power of ten
 * rounds once, exactly as `Number(s)` does; longer decimals use `Number(s)`.
 */
export function plainNumber(s: string): 0 | 1 | 2 {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  const start = i;
  let m = 0;
  let c = s.charCodeAt(i);
  if (!isDigit(c)) return 0;
  if (c === 48) i++;
  else
    for (; i < n && isDigit((c = s.charCodeAt(i))); i++) m = m * 10 + (c - 48);
  if (i === n) {
    if (i - start > 9) return 0;
    plainValue[0] = start ? -m : m;
    return 1;
  }
  if (s.charCodeAt(i) !== 46 || i + 1 === n) return 0;
  const dot = i;
  for (i++; i < n; i++) {
    c = s.charCodeAt(i);
    if (!isDigit(c)) return 0;
    m = m * 10 + (c - 48);
  }
  const frac = n - dot - 1;
  if (n - start - 1 > 15) plainValue[0] = Number(s);
  else plainValue[0] = (start ? -m : m) / POW10[frac];
  return 2;
}

/** Text of a non-empty cell for samples and text columns (trimmed; dates as ISO). */
export function cellText(raw: Exclude<Cell, null>): string {
  if (typeof raw === 'string') return raw.trim();
  if (raw instanceof Date) return dateTimeText(raw);
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  return String(raw);
}

/**
 * The error for a value that does not fit its column's type. A module function: `toPgText` runs on every cell of a
 * load, and a closure created per call (with tsx's `__name` on it) cost more than the conversion itself.
 */
function unfit(raw: Exclude<Cell, null>, type: ColumnType, where: SheetLocation | undefined): never {
  throw new SheetError(
    `Value ${JSON.stringify(cellText(raw))} cannot be stored in ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} column`,
    where ?? { file: '' },
    `Widen the column type (e.g. to text) or correct the value in the source file.`,
  );
}

/**
 * Converts one cell to PostgreSQL input text for a column of `type`.
 * Returns `{text: null, marker}` for a suppression marker or censored value in a non-text column,
 * `{text: null, marker: null}` for an empty cell. Throws `SheetError` (naming `where`, when given)
 * when the value does not fit the type — impossible for the type `describeFile` inferred.
 */
export function toPgText(raw: Cell, type: ColumnType, where?: SheetLocation): { text: string | null; marker: string | null } {
  if (raw === null || raw === undefined) return { text: null, marker: null };
  if (typeof raw === 'string' && raw.trim() === '') return { text: null, marker: null };
  if (type === 'text') return { text: cellText(raw), marker: null };
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (isMarkerText(s)) return { text: null, marker: s };
  }
  switch (type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return { text: raw ? 'true' : 'false', marker: null };
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return { text: raw.trim().toLowerCase(), marker: null };
      return unfit(raw, type, where);
    }
    case 'date': {
      if (raw instanceof Date) return hasTime(raw) ? unfit(raw, type, where) : { text: dateToIso(raw), marker: null };
      if (typeof raw === 'number') return Number.isFinite(raw) ? { text: dateToIso(excelSerialToDate(raw)), marker: null } : unfit(raw, type, where);
      if (typeof raw === 'string') {
        const iso = parseDateText(raw.trim());
        if (iso) return { text: iso, marker: null };
      }
      return unfit(raw, type, where);
    }
    default: {
      let text: string | undefined;
      if (typeof raw === 'boolean') text = raw ? '1' : '0';
      else if (typeof raw === 'number') text = Number.isFinite(raw) ? String(raw) : undefined;
      else if (typeof raw === 'string') text = parseNumberText(raw.trim())?.text;
      if (text === undefined) return unfit(raw, type, where);
      if (type === 'numeric') return { text, marker: null };
      if (!/^-?\d+$/.test(text)) return unfit(raw, type, where);
      const big = BigInt(text);
      const [lo, hi] = type === 'integer' ? [BigInt(INT32_MIN), BigInt(INT32_MAX)] : [INT64_MIN, INT64_MAX];
      if (big < lo || big > hi) return unfit(raw, type, where);
      return { text, marker: null };
    }
  }
}

/** Cleans a header for use as a column name: footnote marks, line breaks and repeated spaces removed. */
export function cleanHeader(raw: string): string {
  return raw
    .replace(/\[\s*notes?\b[^\]]*\]/gi, ' ')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
