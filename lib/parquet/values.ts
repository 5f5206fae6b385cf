/**
 * Checking and converting JavaScript values for {@link rowsToParquet}. Each function returns the value in the form the
 * DuckDB appender wants, or throws a short reason that the caller wraps with the row number and column.
 *
 * Accepted inputs per type are deliberately the shapes the rest of the pipeline produces: typed JS values, plus the
 * strings `pg` returns for bigint/numeric and `'YYYY-MM-DD'` dates (lib/db never returns a Date for a date column).
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Short description of a bad value for error messages, e.g. `string "abc"`, `number 1.5`, `object {"a":1}`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (value instanceof Date) return `Date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  if (typeof value === 'object' && value !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    return `object ${json === undefined ? Object.prototype.toString.call(value) : json.slice(0, 60)}`;
  }
  return `${typeof value} ${String(value)}`;
}

/** Integer text as BigInt, or undefined when `text` is not a plain decimal integer. */
function integerText(text: string): bigint | undefined {
  return /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
}

/** A whole number in the 32-bit range (number, bigint or integer text). */
export function toInteger(value: unknown): number {
  let big: bigint | undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${describeValue(value)} is not a whole number`);
    big = BigInt(value);
  } else if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string') big = integerText(value);
  if (big === undefined) throw new Error(`${describeValue(value)} is not an integer`);
  if (big < INT32_MIN || big > INT32_MAX) throw new Error(`${describeValue(value)} is outside the integer range; use bigint`);
  return Number(big);
}

/** A whole number in the 64-bit range (safe-integer number, bigint or integer text). */
export function toBigInt(value: unknown): bigint {
  let big: bigint | undefined;
  if (typeof value === 'number') {
    // Beyond 2^53 a number has already lost digits; make the caller pass a bigint or a string.
    if (!Number.isSafeInteger(value)) throw new Error(`${describeValue(value)} is not a safe whole number; pass a bigint or a string`);
    big = BigInt(value);
  } else if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string') big = integerText(value);
  if (big === undefined) throw new Error(`${describeValue(value)} is not an integer`);
  if (big < INT64_MIN || big > INT64_MAX) throw new Error(`${describeValue(value)} is outside the bigint range; use numeric`);
  return big;
}

/**
 * Canonical form of a decimal number text: sign, significant digits without leading/trailing zeros, and the power of
 * ten of the last digit. `'0050.100'` and `'5.01e1'` both give `+501e-1`. Undefined if `text` is not a decimal number.
 */
export function canonicalDecimal(text: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const sign = m[1] === '-' ? '-' : '+';
  let digits = `${m[2]}${m[3] ?? ''}`;
  let exponent = Number(m[4] ?? 0) - (m[3] ?? '').length;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${sign}${digits}e${exponent}`;
}

/**
 * A DOUBLE for a numeric column: a number (NaN and ±Infinity included, as PostgreSQL numeric allows them), a bigint
 * that a double holds exactly, or decimal text (what `pg` returns for numeric) that survives the trip through a
 * double: the double's shortest decimal must be the same number, so nothing is rounded silently.
 */
export function toNumeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (BigInt(n) !== value) throw new Error(`${describeValue(value)} cannot be stored exactly as a DOUBLE; use bigint or text`);
    return n;
  }
  if (typeof value === 'string') {
    if (/^[+-]?(NaN|Infinity)$/.test(value)) return Number(value.replace(/^\+/, ''));
    const canonical = canonicalDecimal(value);
    if (canonical === undefined) throw new Error(`${describeValue(value)} is not a number`);
    const n = Number(value.trim());
    if (!Number.isFinite(n)) throw new Error(`${describeValue(value)} is outside the DOUBLE range`);
    if (canonicalDecimal(String(n)) !== canonical) {
      throw new Error(`${describeValue(value)} has more significant digits than a DOUBLE keeps (it would become ${n})`);
    }
    return n;
  }
  throw new Error(`${describeValue(value)} is not a number`);
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a `'YYYY-MM-DD'` string (a real calendar date) or a Date at exactly UTC midnight. */
export function toDateDays(value: unknown): number {
  if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (m) {
      const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
      // Date.UTC rolls 2024-02-30 over to March; a real date maps back to the same text.
      if (new Date(ms).toISOString().slice(0, 10) === value) return ms / DAY_MS;
    }
    throw new Error(`${describeValue(value)} is not a date written as YYYY-MM-DD`);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new Error('Invalid Date is not a date');
    // A Date with a time of day would be truncated in a time zone the reader cannot know; refuse instead.
    if (ms % DAY_MS !== 0) throw new Error(`${describeValue(value)} is not at midnight UTC; pass 'YYYY-MM-DD' text`);
    return ms / DAY_MS;
  }
  throw new Error(`${describeValue(value)} is not a date`);
}

/** A boolean; PostgreSQL's text forms `t`/`f`/`true`/`false` are accepted too. */
export function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 't' || value === 'true') return true;
  if (value === 'f' || value === 'false') return false;
  throw new Error(`${describeValue(value)} is not a boolean`);
}

/** A string for a text column. Other types are refused so that no `[object Object]` or locale formatting sneaks in. */
export function toText(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`${describeValue(value)} is not a string`);
  if (value.includes('\0')) throw new Error(`${describeValue(value)} contains a NUL character`);
  return value;
}

/**
 * Microseconds since the epoch (UTC) for a Date or an ISO 8601 / PostgreSQL timestamp text with an explicit offset
 * (`2024-06-01T00:00:00Z`, `2024-06-01 00:00:00.123456+01`). Text without an offset is refused: its instant is unknown.
 */
export function toTimestampMicros(value: unknown): bigint {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new Error('Invalid Date is not a timestamp');
    return BigInt(ms) * 1000n;
  }
  if (typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(value);
    if (m) {
      const offset = m[4] === 'Z' ? 'Z' : /^[+-]\d{2}$/.test(m[4]!) ? `${m[4]}:00` : m[4]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
      const ms = Date.parse(`${m[1]}T${m[2]}${offset}`);
      if (!Number.isNaN(ms)) return BigInt(ms) * 1000n + BigInt((m[3] ?? '').padEnd(6, '0'));
    }
    throw new Error(`${describeValue(value)} is not a timestamp with an offset (e.g. 2024-06-01T09:30:00Z)`);
  }
  throw new Error(`${describeValue(value)} is not a timestamp`);
}
