/**
 * CSV (as PostgreSQL's `COPY ... TO ... (FORMAT csv, HEADER)` writes it) → Parquet, entirely inside DuckDB: the rows
 * never pass through JavaScript, which is what makes a million-row table take about a second.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { publishAtomic, hashFile } from '../atomic.ts';
import { duckdbErrorText, parquetCopyOptions, sqlIdent, sqlString, withDuckDB } from './duckdb.ts';
import { DUCKDB_TYPE, validateColumns, type ParquetColumn, type ParquetWriteResult } from './types.ts';

/** Options of {@link csvToParquet}. */
export interface CsvToParquetOptions {
  /** CSV with a header line whose names equal `columns` in order. NULL = empty unquoted field, '' = `""`. */
  csvPath: string;
  /** Output columns in CSV order, with the type each value is cast to (no type sniffing). */
  columns: ParquetColumn[];
  /** Final Parquet path; written atomically. */
  outPath: string;
  /** Key/value metadata stored in the Parquet footer (keys are written sorted). */
  kv: Record<string, string>;
  /** Aborts the conversion; nothing is left behind and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Converts a PostgreSQL-style CSV file to a zstd Parquet file with ~100k-row row groups and the given key/value
 * metadata, casting every column to its declared type. NULL (empty unquoted field) and the empty string (`""`) stay
 * distinct. The output is written to `<outPath>.tmp-<pid>-<random>` and renamed into place, so on any failure or abort
 * no new file is left and a previous `outPath` is untouched. Identical input gives byte-identical output.
 *
 * Numeric columns become DOUBLE (see `DUCKDB_TYPE` in types.ts for why); a value with more significant digits than a
 * DOUBLE keeps is rejected instead of being rounded silently.
 *
 * @returns rows written, SHA-256 (hex) and size of the Parquet file.
 * @throws Error naming the CSV file, line or row, column and value when the header does not match or a value cannot
 *   be cast; the signal's reason when aborted.
 */
export async function csvToParquet(opts: CsvToParquetOptions): Promise<ParquetWriteResult> {
  const { csvPath, columns, outPath, kv, signal } = opts;
  const where = `csvToParquet ${csvPath} → ${outPath}`;
  validateColumns(columns, where);
  const copyOptions = parquetCopyOptions(kv); // validates kv before any work
  signal?.throwIfAborted();
  await checkHeader(csvPath, columns);

  return withDuckDB(async (conn) => {
    // DuckDB cannot be cancelled through a promise; interrupt() makes the running statement fail promptly.
    const onAbort = () => conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await publishAtomic(
        outPath,
        async (temp) => {
          const rows = await copyCsv(conn, csvPath, columns, temp, copyOptions, signal);
          return { rows, ...(await hashFile(temp)) };
        },
        signal,
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}

/** Marker that starts the text of our own `error()` calls, so they can be told apart from DuckDB's errors. */
export const NUMERIC_ERROR = 'numeric-check:';

/**
 * SQL that turns the text of a numeric CSV field into a DOUBLE, or stops the query with a message naming the column
 * and value. A value is accepted when it has at most 15 significant digits (always exact in a double: the shortest
 * decimal printed back is the same number) or, with more digits, when the double's shortest decimal equals the text
 * as a DECIMAL(38, 18) (true for every value that came from a spreadsheet, since those are doubles already).
 * The check cannot see digits past the 18th decimal place; NHS figures do not have such digits.
 * The first tests (at most 15 characters; at most 15 besides '-' and '.') settle almost every value without a
 * regex; the plain length, which allocates no string, halves the check's cost again (0.2 s less per 1M rows of
 * two numeric columns).
 */
export function numericExpression(name: string): string {
  const t = sqlIdent(name);
  const significant = `length(trim(regexp_replace(regexp_extract(${t}, '^[^eE]*'), '[^0-9]', '', 'g'), '0'))`;
  const roundTrips = `TRY_CAST(${t} AS DECIMAL(38, 18)) = TRY_CAST(CAST(TRY_CAST(${t} AS DOUBLE) AS VARCHAR) AS DECIMAL(38, 18))`;
  const label = sqlString(`${NUMERIC_ERROR}${name}:`);
  return (
    `CASE WHEN ${t} IS NULL THEN NULL ` +
    `WHEN TRY_CAST(${t} AS DOUBLE) IS NULL THEN error(${label} || 'nan:' || ${t}) ` +
    `WHEN length(${t}) <= 15 OR length(replace(replace(${t}, '.', ''), '-', '')) <= 15 OR ${significant} <= 15 OR ${roundTrips} ` +
    `THEN TRY_CAST(${t} AS DOUBLE) ` +
    `ELSE error(${label} || 'lossy:' || ${t}) END AS ${t}`
  );
}

/** `read_csv(...)` with explicit types and PostgreSQL's CSV conventions; numeric columns are read as text and cast later. */
function readCsvSql(csvPath: string, columns: readonly ParquetColumn[]): string {
  const spec = columns
    .map((c) => `${sqlString(c.name)}: ${sqlString(c.type === 'numeric' ? 'VARCHAR' : DUCKDB_TYPE[c.type])}`)
    .join(', ');
  // auto_detect=false: no sniffing of anything; allow_quoted_nulls=false: "" is the empty string, only an unquoted
  // empty field is NULL (PostgreSQL's default); strict_mode: a row with too many/few fields is an error, not padding.
  return (
    `read_csv(${sqlString(csvPath)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `nullstr = '', allow_quoted_nulls = false, strict_mode = true, encoding = 'utf-8', ` +
    `max_line_size = 67108864, columns = {${spec}})`
  );
}

/** Runs the COPY into `temp` and returns the number of rows written; turns DuckDB errors into user-facing ones. */
async function copyCsv(
  conn: DuckDBConnection,
  csvPath: string,
  columns: readonly ParquetColumn[],
  temp: string,
  copyOptions: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const select = columns.map((c) => (c.type === 'numeric' ? numericExpression(c.name) : sqlIdent(c.name))).join(', ');
  const sql = `COPY (SELECT ${select} FROM ${readCsvSql(csvPath, columns)}) TO ${sqlString(temp)} (${copyOptions})`;
  try {
    const reader = await conn.runAndReadAll(sql);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  } catch (error) {
    signal?.throwIfAborted();
    throw await explainCopyError(conn, csvPath, columns, error);
  }
}

/** Builds the user-facing error for a failed conversion: what, where (file, line or row, column), what to do. */
async function explainCopyError(
  conn: DuckDBConnection,
  csvPath: string,
  columns: readonly ParquetColumn[],
  error: unknown,
): Promise<Error> {
  // The raw message: a value in our own error text may contain line breaks, which duckdbErrorText would rewrite.
  const raw = error instanceof Error ? error.message : String(error);
  const marker = raw.indexOf(NUMERIC_ERROR);
  if (marker < 0) return new Error(`Cannot convert ${csvPath} to Parquet: ${describeCsvError(error, duckdbErrorText(error))}`);
  // Our own check failed: "<marker><column>:<nan|lossy>:<value>". Column names may contain ':', so match against the list.
  const rest = raw.slice(marker + NUMERIC_ERROR.length);
  const column = columns.find((c) => c.type === 'numeric' && rest.startsWith(`${c.name}:`));
  if (!column) return new Error(`Cannot convert ${csvPath} to Parquet: ${duckdbErrorText(error)}.`);
  const tail = rest.slice(column.name.length + 1);
  const kind = tail.startsWith('nan:') ? 'nan' : 'lossy';
  const value = tail.slice(kind.length + 1);
  const row = await findRow(conn, csvPath, columns, column.name, value);
  const at = row === undefined ? '' : `, data row ${row} (line ${row + 1} if no earlier field spans lines)`;
  if (kind === 'nan') {
    return new Error(
      `Cannot convert ${csvPath} to Parquet: column "${column.name}"${at}: ${JSON.stringify(value)} is not a number. ` +
        `Fix the value or declare the column as text.`,
    );
  }
  return new Error(
    `Cannot convert ${csvPath} to Parquet: column "${column.name}"${at}: ${JSON.stringify(value)} has more significant ` +
      `digits than a DOUBLE keeps and would be stored rounded. Round it upstream or declare the column as text.`,
  );
}

/**
 * Rewrites DuckDB's CSV reader errors as "data row N (line …): problem. The line reads: …. What to do." DuckDB's advice
 * (strict_mode=false, ignore_errors, sample_size) would hide bad data, so it is dropped. Other errors pass through.
 */
function describeCsvError(error: unknown, fallback: string): string {
  const lines = (error instanceof Error ? error.message : String(error)).split('\n');
  const lineNo = /CSV Error on Line: (\d+)/.exec(lines[0] ?? '')?.[1];
  if (lineNo === undefined) return `${fallback}. Check the CSV file.`;
  let original: string | undefined;
  const problems: string[] = [];
  for (const line of lines.slice(1)) {
    if (/^(Possible fixes:|Possible Solution:|Column .* is being converted)/.test(line)) break;
    if (line.trim() === '') continue; // an original line that ended inside quotes is followed by a blank line
    if (line.startsWith('Original Line: ')) original = line.slice('Original Line: '.length);
    else problems.push(line.trim().replace(/\.$/, ''));
  }
  const problem = problems.join('; ');
  let advice = 'Fix that line of the CSV.';
  if (/Could not convert/.test(problem)) advice = 'Fix the value in the CSV or declare the column with a wider type.';
  else if (/Expected Number of Columns/.test(problem)) advice = 'Every line must have as many fields as the header.';
  else if (/not utf-8 encoded/.test(problem)) advice = 'Write the CSV as UTF-8.';
  else if (/unterminated quote/.test(problem)) advice = 'Close the quoted field with a double quote.';
  const shown = original === undefined ? '' : ` The line reads: ${JSON.stringify(original.length > 200 ? `${original.slice(0, 200)}…` : original)}.`;
  // DuckDB counts records, not physical lines: a quoted field with line breaks earlier in the file shifts them.
  const row = Number(lineNo) - 1;
  return `data row ${row} (line ${row + 1} if no earlier field spans lines): ${problem}.${shown} ${advice}`;
}

/** 1-based data row of the first record whose `column` text equals `value` (only used on the error path). */
async function findRow(
  conn: DuckDBConnection,
  csvPath: string,
  columns: readonly ParquetColumn[],
  column: string,
  value: string,
): Promise<number | undefined> {
  try {
    // One thread keeps row_number() in file order.
    const reader = await conn.runAndReadAll(
      `SELECT n FROM (SELECT row_number() OVER () AS n, ${sqlIdent(column)} AS v FROM ${readCsvSql(csvPath, columns)}) ` +
        `WHERE v = ${sqlString(value)} ORDER BY n LIMIT 1`,
    );
    const n = reader.getRows()[0]?.[0];
    return n === undefined ? undefined : Number(n);
  } catch {
    return undefined; // another column may also be broken; the caller's message is still useful without a row
  }
}

/**
 * Checks that the CSV exists, is not empty, and that its header names equal the declared columns in order. DuckDB
 * itself would silently map columns by position, so a reordered export would load values into the wrong columns.
 */
async function checkHeader(csvPath: string, columns: readonly ParquetColumn[]): Promise<void> {
  const handle = await open(csvPath, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`CSV file not found: ${csvPath}. Export the table first.`);
    throw new Error(`Cannot open CSV file ${csvPath}: ${error.message}`);
  });
  let header: string[] | undefined;
  try {
    let text = '';
    const buffer = Buffer.alloc(1 << 16);
    const decoder = new StringDecoder('utf8'); // keeps a character split across two chunks whole
    let position = 0;
    // Read until the first record ends (a header longer than one chunk is possible with many columns).
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      text += bytesRead > 0 ? decoder.write(buffer.subarray(0, bytesRead)) : decoder.end();
      header = parseFirstRecord(text, bytesRead === 0);
      if (header !== undefined || bytesRead === 0) break;
    }
  } finally {
    await handle.close();
  }
  if (header === undefined || (header.length === 1 && header[0] === '')) {
    throw new Error(`${csvPath} is empty: expected a header line with ${columns.map((c) => c.name).join(', ')}.`);
  }
  const expected = columns.map((c) => c.name);
  if (header.length !== expected.length || header.some((name, i) => name !== expected[i])) {
    throw new Error(
      `${csvPath} line 1: header is ${JSON.stringify(header)} but the declared columns are ${JSON.stringify(expected)}. ` +
        `Export the CSV with exactly these columns in this order, or fix the column list.`,
    );
  }
}

/**
 * Parses the first CSV record of `text` (RFC 4180: `"` quotes, `""` inside quotes is a quote). Returns undefined when
 * the record is not complete yet and more text may follow (`atEnd` false).
 */
export function parseFirstRecord(text: string, atEnd: boolean): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte order mark is not part of the first name
  let quoted = false;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') (field += '"'), i++;
      else if (i + 1 === text.length && !atEnd) return undefined; // cannot tell "" from " yet
      else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') fields.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') return fields.concat(field);
    else field += ch;
  }
  return atEnd ? fields.concat(field) : undefined;
}
