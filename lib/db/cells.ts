/**
 * Source cells → binary COPY fields, with one writer per column chosen once from the column's type.
 *
 * The values are those of `toPgText` (lib/sheets/values.ts), which stays the definition: each writer first tries
 * the forms that make up nearly every cell of a published table (a plain count, a plain decimal, a `dd/mm/yyyy`
 * date, a trimmed string) with character tests and no allocation, and hands anything else — markers, `£1,234`,
 * `5.03563e+006`, Excel serials, bad values — to `toPgText` itself, so that markers, conversions and error
 * messages (naming file, sheet and cell) are exactly the old ones. A fast path only accepts values for which
 * toPgText would return the same value; tests/db/differential.test.ts checks that on every sample file.
 */
import type { Cell, SheetLocation } from '../sheets/types.ts';
import { cellText, lastPlainValue, plainNumber, toPgText, trimText } from '../sheets/values.ts';
import { daysFromCivil, type BinaryWriter } from './binary.ts';
import { DbError, type ColumnType } from './types.ts';

/** A data column of the slice: its staging name and type, and where its values are in the source rows. */
export interface SourceColumn {
  name: string;
  /** The staging table's type for it (possibly wider than the type the draft inferred). */
  type: ColumnType;
  /** Position in each row's `values`. */
  index: number;
  /** Spreadsheet column letter (`'D'`) or 1-based CSV field number (`'4'`), for error locations. */
  sourceColumn: string;
}

/** Writes one cell as one field and returns its marker (`*`, `c`, `<5` …) when it was one, the field then NULL. */
export type CellWriter = (w: BinaryWriter, raw: Cell | undefined, row: number) => string | null;

/** What the writers need to know about the copy as a whole, for error messages. */
export interface CopyContext {
  /** The quoted table name, as in `staging."beds"`. */
  table: string;
  /** 1-based number of the row being written, counted over the whole copy. */
  copyRow: number;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const isDigit = (c: number) => c >= 48 && c <= 57;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970 of a valid date in a year parseDateText accepts (1000–9999), else NaN. */
function civil(y: number, m: number, d: number): number {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return NaN;
  return daysFromCivil(y, m, d);
}

/** `d/m/yyyy` or `dd/mm/yyyy` (UK day first) or `yyyy-mm-dd`, as days since 1970; NaN for anything else. */
export function quickDate(s: string): number {
  const n = s.length;
  if (n === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const y = digits(s, 0, 4);
    const m = digits(s, 5, 7);
    const d = digits(s, 8, 10);
    return civil(y, m, d);
  }
  const a = s.indexOf('/');
  if (a < 1 || a > 2) return NaN;
  const b = s.indexOf('/', a + 1);
  if (b - a < 2 || b - a > 3 || n - b !== 5) return NaN;
  return civil(digits(s, b + 1, n), digits(s, a + 1, b), digits(s, 0, a));
}

/** The number spelt by the digits s[from, to), or NaN when one is not a digit. */
function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return NaN;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** `-?(0|[1-9][0-9]*)`: an integer as toPgText returns it unchanged (leading zeros are codes, never numbers). */
export function isPlainInteger(s: string): boolean {
  const n = s.length;
  const i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  const c = s.charCodeAt(i);
  if (c === 48) return i + 1 === n;
  for (let k = i; k < n; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return true;
}

/** Writes PostgreSQL input text of `type` (as toPgText returns it) as that type's binary field. */
function writeText(w: BinaryWriter, type: ColumnType, text: string, ctx: CopyContext, column: string): void {
  switch (type) {
    case 'integer': return w.int4(Number(text));
    case 'bigint': return w.int8Text(text);
    case 'numeric': return w.numericText(text);
    case 'boolean': return w.bool(text === 'true');
    case 'text': return w.text(text);
    case 'date': {
      // toPgText gives ISO dates; only an Excel serial far outside years 0–9999 gives anything else, which
      // PostgreSQL's date input would have refused too.
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      if (!m) {
        throw new DbError(
          `COPY into ${ctx.table} failed at row ${ctx.copyRow} (column ${column}): invalid input syntax for type date: "${text}"`,
          'A value does not fit its column type: check the column types inferred for this table and the value in that source row.',
        );
      }
      return w.date(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])));
    }
  }
}

/** The writer for one column; `where` is the table's place (file, member, sheet), completed with the cell on errors. */
export function cellWriter(col: SourceColumn, where: SheetLocation, ctx: CopyContext): CellWriter {
  const { type, name } = col;
  const numbered = /^\d+$/.test(col.sourceColumn);
  // CSV columns are numbered, sheet columns lettered: "line 12:3" or "cell D12".
  const at = (row: number): SheetLocation => ({ ...where, cell: numbered ? `${row}:${col.sourceColumn}` : `${col.sourceColumn}${row}` });
  /** Everything the fast paths leave: exactly the old conversion. */
  const slow: CellWriter = (w, raw, row) => {
    const { text, marker } = toPgText(raw ?? null, type, at(row));
    if (text === null) {
      w.nul();
      return marker;
    }
    if (type === 'text') return text_(w, text);
    writeText(w, type, text, ctx, name);
    return null;
  };
  const text_ = (w: BinaryWriter, s: string): null => {
    if (s.includes('\0')) {
      throw new DbError(
        `COPY into ${ctx.table}: row ${ctx.copyRow}, column ${name} contains a NUL character (\\0), which PostgreSQL text cannot store`,
        'Remove or replace NUL characters in the source value before loading.',
      );
    }
    w.text(s);
    return null;
  };
  switch (type) {
    case 'text':
      return (w, raw, row) => {
        if (typeof raw !== 'string') return raw === null || raw === undefined ? (w.nul(), null) : text_(w, cellText(raw));
        const s = trimText(raw);
        return s === '' ? (w.nul(), null) : text_(w, s);
      };
    case 'integer':
      return (w, raw, row) => {
        if (typeof raw === 'string') {
          const s = trimText(raw);
          if (s === '') return w.nul(), null;
          if (plainNumber(s) === 1) return w.int4(lastPlainValue()), null; // at most 9 digits: always an int4
        } else if (typeof raw === 'number' && Number.isInteger(raw) && raw >= INT32_MIN && raw <= INT32_MAX) {
          return w.int4(raw), null;
        }
        return slow(w, raw, row);
      };
    case 'bigint':
      return (w, raw, row) => {
        if (typeof raw === 'string') {
          const s = trimText(raw);
          if (s === '') return w.nul(), null;
          // At most 18 digits always fits int8 (ids such as 10000000001 are this column type's usual values).
          if (s.length <= 18 && isPlainInteger(s)) return w.int8Text(s), null;
        } else if (typeof raw === 'number' && Number.isSafeInteger(raw)) {
          return w.int8(raw), null;
        }
        return slow(w, raw, row);
      };
    case 'numeric':
      return (w, raw, row) => {
        if (typeof raw === 'string') {
          const s = trimText(raw);
          if (s === '') return w.nul(), null;
          if (plainNumber(s) !== 0 || isPlainInteger(s)) return w.numericText(s), null;
        } else if (typeof raw === 'number' && Number.isFinite(raw)) {
          return w.numericText(String(raw)), null;
        }
        return slow(w, raw, row);
      };
    case 'date':
      return (w, raw, row) => {
        if (typeof raw === 'string') {
          const s = trimText(raw);
          if (s === '') return w.nul(), null;
          const days = quickDate(s);
          if (days === days) return w.date(days), null; // not NaN
        }
        return slow(w, raw, row);
      };
    case 'boolean':
      return slow;
  }
}
