/**
 * The small DuckDB layer the Parquet writers and reader share: one short-lived in-memory instance per call, configured
 * so the same input always gives the same bytes, plus SQL quoting and error-text helpers.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `fn` with a fresh in-memory DuckDB connection and always closes connection and instance afterwards.
 *
 * Settings and why:
 * - `threads = 1`: with several threads DuckDB's CSV reader and Parquet writer split work by scheduling, and row-group
 *   boundaries could differ between runs; one thread makes the output a function of the input only. Measured: a
 *   1M-row CSV converts in about the same time with 1 or 2 threads (the conversion is I/O-bound) and uses less memory.
 * - no extension auto-install/auto-load: offline builds only have parquet/json/icu built in; a download attempt would
 *   hang or fail in the middle of a build.
 * - `temp_directory = ''`: never spill into a `.tmp` folder in the current directory (the writers stream, so they do
 *   not need to spill); a failed call must leave nothing behind.
 * - `TimeZone = 'UTC'`: timestamps without an offset are read as UTC on every machine, whatever its local zone.
 */
export async function withDuckDB<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '1',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    temp_directory: '',
  });
  try {
    const conn = await instance.connect();
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** A SQL string literal: `it's` → `'it''s'`. Used for file paths, KV metadata and CSV column specs. */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new Error(`A NUL character cannot be passed to DuckDB: ${JSON.stringify(value)}`);
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier: `Org "Code"` → `"Org ""Code"""`, so any column name is safe in a SELECT list. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The `COPY ... TO` options every writer uses: zstd, ~100k-row row groups, and the caller's key/value metadata with
 * keys sorted, so the footer does not depend on the order in which the caller built the object.
 */
export function parquetCopyOptions(kv: Record<string, string>): string {
  const options = ['FORMAT parquet', 'COMPRESSION zstd', 'ROW_GROUP_SIZE 100000'];
  const keys = Object.keys(kv).sort();
  for (const key of keys) {
    if (typeof kv[key] !== 'string') {
      throw new Error(`Parquet key/value metadata "${key}" must be a string, got ${typeof kv[key]}; convert it first.`);
    }
  }
  if (keys.length > 0) {
    options.push(`KV_METADATA {${keys.map((k) => `${sqlString(k)}: ${sqlString(kv[k]!)}`).join(', ')}}`);
  }
  return options.join(', ');
}

/**
 * Shortens a DuckDB error to the part a user can act on. CSV errors carry advice that is wrong here ("this type was
 * auto-detected", "set sample_size") and a dump of reader options; what matters is the line, the original line text
 * and the column/value that failed.
 */
export function duckdbErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const kept: string[] = [];
  for (const line of message.split('\n')) {
    if (/^Column .* is being converted as type/.test(line) || /^Possible solutions:/.test(line)) break;
    if (/^\s+file = /.test(line)) break;
    if (/^LINE \d+:/.test(line)) break; // SQL echo with a caret: our generated SQL, not the user's problem
    if (line.trim() !== '') kept.push(line.trim());
  }
  return kept.join('; ');
}
