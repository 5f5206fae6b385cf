/**
 * Shared types, errors and small helpers of the database layer. Both drivers (PGlite and PostgreSQL)
 * implement {@link Db}/{@link DbTx} so that everything above this module is one code path.
 *
 * Result values are normalised to the same JavaScript shapes on both drivers (see {@link Db.query}).
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { writeSync } from 'node:fs';
import { PipelineError } from '../failure.ts';

/** Column types of data tables; widening order boolean < integer < bigint < numeric < text, date < text. */
export type { ColumnType } from '../column-types.ts';
import type { ColumnType } from '../column-types.ts';

/** The column types, in no particular order (handy for validation). */
export { COLUMN_TYPES } from '../column-types.ts';

/** A row of CSV-able PostgreSQL input text values; `null` is SQL NULL, `''` is an empty string. */
export type CopyRow = (string | null)[];

/** A piece of binary COPY data (lib/db/binary.ts): whole rows, without the file header or trailer, and how many. */
export interface CopySegment { bytes: Uint8Array; rows: number }

/** A column with one value for a whole copy, such as a slice's provenance. */
export interface CopyConstant { name: string; type: 'text' | 'date' | 'integer'; value: string | null }

/** Work inside one open transaction. Only use it while the transaction callback runs. */
export interface DbTx {
  /**
   * Run one SQL statement with `$1`-style parameters inside the transaction.
   * Values come back as described on {@link Db.query}.
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run a script of one or more `;`-separated statements without parameters (e.g. DDL) inside the transaction. */
  exec(sql: string): Promise<void>;
  /**
   * Bulk-load rows with `COPY ... (FORMAT csv)`. Memory stays bounded whatever the number of rows
   * (PGlite: chunks of ~20k rows / ~8 MB; PostgreSQL: streamed).
   * @param table an already-quoted, qualified table name, e.g. `staging."beds"` (see {@link quoteIdent})
   * @param columns unquoted column names, in the order of each row's values
   * @param rows values as PostgreSQL input text, or null for NULL; each row must have `columns.length` values
   * @returns the number of rows copied
   * @throws DbError naming the row number (1-based, counted over all rows given) and the column when a value is rejected
   */
  copyRows(table: string, columns: string[], rows: AsyncIterable<CopyRow> | Iterable<CopyRow>): Promise<number>;
  /**
   * Bulk-load rows in PostgreSQL's binary COPY format, the fast path of loads. `constants` hold one value for every
   * row, and the driver chooses how they travel: it calls `encode` with `constantsInRows` for rows whose first fields
   * are the constants (PostgreSQL: sending them is cheaper than any DDL, and takes no lock) or without, for rows
   * without them (PGlite: they become column defaults for the length of the copy, which saves its single thread
   * work; its one connection means the ALTER TABLE lock blocks nobody). `offThread`: the driver stores rows on this
   * thread (PGlite), so encoding them elsewhere runs beside it. Memory stays bounded by a segment (PGlite: a few
   * segments per COPY statement).
   * @param table an already-quoted, qualified table name
   * @param columns unquoted names of the per-row fields after the constants, in field order
   * @returns the number of rows copied
   * @throws DbError naming the row (1-based, over the whole copy) when the server rejects a value
   */
  copyBinary(table: string, constants: CopyConstant[], columns: string[], encode: (how: { constantsInRows: boolean; offThread: boolean }) => AsyncIterable<CopySegment>): Promise<number>;
  /**
   * Append the rows of a SELECT to the open file `fd` as `COPY ... TO STDOUT (FORMAT csv)` text, without a header
   * (several copies can follow each other into one file). Both drivers stream: memory stays bounded whatever the
   * number of rows.
   * @returns the number of rows written
   */
  copyTo(selectSql: string, fd: number): Promise<number>;
  /**
   * Run one statement typed by a person (`pipeline.ts sql`): its columns in order (duplicate names kept), its rows
   * as arrays of values shaped as for {@link Db.query}, and how many rows it changed for INSERT/UPDATE/DELETE.
   */
  statement(sql: string): Promise<StatementResult>;
}

/** What {@link DbTx.statement} returns. */
export interface StatementResult { columns: string[]; rows: unknown[][]; affected?: number }

/** Options of {@link Db.transaction}. */
export interface TransactionOptions {
  signal?: AbortSignal;
  /** A read-only snapshot (REPEATABLE READ READ ONLY): every statement sees the same committed data. */
  snapshot?: boolean;
}

/** An open database: embedded PGlite or a real PostgreSQL server. */
export interface Db {
  /** Which driver is underneath. */
  readonly kind: 'pglite' | 'postgres';
  /** Human-readable location, e.g. `PGlite at /ws/.pglite`; never contains a password. */
  readonly description: string;
  /**
   * Run one SQL statement (outside any transaction) and return its rows as objects.
   * Value shapes are the same on both drivers: integer/smallint/real/double → number; bigint → number when it is a
   * safe integer, otherwise its exact decimal string; numeric → string (exact); boolean → boolean; json/jsonb →
   * parsed value; date → `'YYYY-MM-DD'` string (never a Date, so no time-zone shifts); timestamp/timestamptz →
   * Date; everything else → PostgreSQL's text output. NULL → null.
   * Calling this (or transaction/exportCsv/exec) from inside one of this Db's own transaction callbacks throws a
   * DbError: use the `tx` given to the callback. (With PGlite's single connection the call would otherwise wait
   * forever for the transaction to end; with PostgreSQL it would not see the transaction's uncommitted rows.)
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run a script of one or more `;`-separated statements without parameters (e.g. DDL), outside any transaction. */
  exec(sql: string): Promise<void>;
  /**
   * Run `fn` inside `BEGIN … COMMIT`. Any throw from `fn` rolls back and is rethrown.
   * When `opts.signal` aborts, the transaction is rolled back (PostgreSQL: the running statement is cancelled
   * at once; PGlite: at the next statement or COPY chunk) and an error named `AbortError` is thrown.
   */
  transaction<T>(fn: (tx: DbTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Write the result of a SELECT as CSV with a header row to `destPath` (NULL as an empty unquoted field, an empty
   * string as `""`, values in PostgreSQL's text output). Memory stays bounded; the file appears atomically
   * (temporary file in the same folder + rename). Returns the number of data rows written.
   */
  exportCsv(selectSql: string, destPath: string): Promise<number>;
  /**
   * Hold the named lock until `release()`, against other processes using the same database (PostgreSQL: a
   * session-level advisory lock on a connection of its own, which dies with the process; PGlite: one process has
   * the database open, so it is held at once). `onWait` is called once if another session holds it first.
   */
  holdLock(name: string, opts?: import('./advisory.ts').LockOptions): Promise<import('./advisory.ts').HeldLock>;
  /** Close the connection(s). Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * A database problem a user can act on (cannot connect, bad value in a COPY, incompatible data directory …).
 * `message` says what and where; `hint` says what to do. Neither ever contains a password.
 */
export class DbError extends PipelineError {
  /** The database could not be reached: nothing about the data is wrong, and the next build tries again. */
  readonly environmental: boolean;
  constructor(message: string, hint: string, options?: { cause?: unknown; environmental?: boolean }) {
    super({ kind: options?.environmental ? 'environment' : 'input', message, hint, cause: options?.cause });
    this.name = 'DbError';
    this.environmental = options?.environmental ?? false;
  }
}

/**
 * Thrown by {@link Db.transaction} when its signal aborted: the transaction was rolled back.
 * `name` is `'AbortError'` like the platform's abort errors; `cause` is the signal's reason.
 */
export class DbAbortError extends Error {
  constructor(what: string, reason: unknown) {
    super(`${what} was aborted; nothing it wrote was kept (rolled back)`, { cause: reason });
    this.name = 'AbortError';
  }
}

/**
 * Quote an SQL identifier for PostgreSQL: wrap in double quotes and double any embedded quote.
 * Always quote, even for plain lowercase names, so reserved words (`order`, `user`) are safe.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new DbError('Empty SQL identifier', 'Give the table or column a name.');
  if (name.includes('\0')) throw new DbError(`SQL identifier ${JSON.stringify(name)} contains a NUL character`, 'Remove the NUL character from the name.');
  return `"${name.replace(/"/g, '""')}"`;
}

/** Parse PostgreSQL's int8 text: a number when exactly representable, else the decimal string. */
export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** Transactions open in the current async context, to catch calls on a Db from inside its own transaction. */
const openTransactions = new AsyncLocalStorage<readonly { db: object; isOpen: () => boolean }[]>();

/** Run a transaction callback marked as "inside a transaction of `db`" while `isOpen()` holds. */
export function runMarkedAsTx<T>(db: object, isOpen: () => boolean, fn: () => Promise<T>): Promise<T> {
  return openTransactions.run([...(openTransactions.getStore() ?? []), { db, isOpen }], fn);
}

/** Throw when called from inside an open transaction callback of the same `db` (see {@link Db.query}). */
export function assertNotInOwnTx(db: object, description: string, method: string): void {
  if (openTransactions.getStore()?.some((t) => t.db === db && t.isOpen())) {
    throw new DbError(
      `db.${method}() was called on ${description} from inside one of its own transactions`,
      'Inside a transaction callback, use the tx it was given (tx.query, tx.exec, tx.copyRows); this is a bug in the calling code.',
    );
  }
}

/** Writes all of `bytes[from, from + length)` to `fd`, however many writes a pipe takes (a signal may cut one short). */
export function writeFully(fd: number, bytes: Uint8Array, from = 0, length = bytes.length - from): void {
  for (let done = 0; done < length; ) done += writeSync(fd, bytes, from + done, length - done);
}
