/**
 * A staging table → Parquet in bulk: the database writes the rows slice by slice as COPY text (lib/db/export.ts, the
 * columns that are constant per slice left out), DuckDB reads that text and writes the Parquet file, putting each
 * slice's constants back from a list indexed by the slice number. No row passes through JavaScript.
 *
 * The file: zstd, row groups of ~100k rows (parquetCopyOptions), rows in `_period_start, _period, _source_key,
 * _source_row` order, so the min/max statistics DuckDB writes for every column of every row group let readers
 * (DuckDB, Polars, Arrow) skip the row groups of other periods.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { hashFile, publishAtomic, tempPathFor } from '../atomic.ts';
import { exportSlices, SLICE_CONSTANTS, type RowFilter, type SliceProvenance } from '../db/export.ts';
import type { Db } from '../db/types.ts';
import { NUMERIC_ERROR, numericExpression } from './csv.ts';
import { duckdbErrorText, parquetCopyOptions, sqlIdent, sqlString, withDuckDB } from './duckdb.ts';
import { makeFifo, openWriter } from './fifo.ts';
import { DUCKDB_TYPE, validateColumns, type ParquetColumn, type ParquetWriteResult } from './types.ts';

/** Options of {@link stagingToParquet}. */
export interface StagingToParquetOptions {
  db: Db;
  /** The staging table (unqualified name). */
  table: string;
  /** Output columns in order: provenance columns (`_publication` … `_markers`) and data columns, with their types. */
  columns: ParquetColumn[];
  /** Final Parquet path; written atomically. */
  outPath: string;
  /** Key/value metadata stored in the Parquet footer (keys are written sorted). */
  kv: Record<string, string>;
  /** Folder for the intermediate text (removed before returning). */
  tmpDir: string;
  /** Which rows to keep (`history: latest` of a table); absent: every row. */
  keep?: RowFilter;
  signal?: AbortSignal;
  /** Export into a file, then convert it, even where a named pipe would let both run at once (tests compare the two). */
  throughFile?: boolean;
}

const CONSTANT_FIELD = new Map(SLICE_CONSTANTS);
/** The provenance columns that vary by row, in the order lib/db's export writes them after the slice number. */
const ROW_PROVENANCE = new Set(['_source_row', '_row_kind', '_markers']);

/**
 * Longest CSV line DuckDB accepts, first try and retry. Its read buffer must exceed the limit, and that buffer is
 * most of its memory here: 64 MB lines cost ~190 MB of RSS, 8 MB lines ~90 MB (1M rows, 20 columns). With 1 MB lines
 * the server's whole chain of 1M rows peaks at 305–329 MB instead of 355–366 MB, in the same time; a longer row (a
 * rare thing in published data) costs a second export through a file.
 */
const SHORT_LINES = 1024 * 1024;
const LONG_LINES = 64 * 1024 * 1024;

/**
 * Writes every row of `staging.<table>` to `outPath` as Parquet, in the order above, casting each column to its
 * declared type (numeric to a checked DOUBLE, see csv.ts). Identical table contents give byte-identical files.
 * The export and DuckDB run at the same time, through a named pipe (./fifo.ts); when DuckDB fails on it (a line longer
 * than 8 MB, a value it refuses) or there is no pipe, they run one after the other through a file, which then says why.
 * @throws Error naming the column, slice (period, file) and source row of a numeric value a DOUBLE would round
 */
export async function stagingToParquet(opts: StagingToParquetOptions): Promise<ParquetWriteResult> {
  const { db, table, columns, outPath, kv, signal } = opts;
  validateColumns(columns, `stagingToParquet ${table} → ${outPath}`);
  const copyOptions = parquetCopyOptions(kv);
  signal?.throwIfAborted();
  const perRow = columns.filter((c) => !CONSTANT_FIELD.has(c.name) && !ROW_PROVENANCE.has(c.name));
  const names = perRow.map((c) => c.name);
  // The slice number's column in the text: `_slice`, or more underscores if a data column (renamed by an override) has that name.
  let slice = '_slice';
  while (columns.some((c) => c.name.toLowerCase() === slice)) slice = `_${slice}`;
  const inCsv: ParquetColumn[] = [{ name: slice, type: 'integer' }, ...[...ROW_PROVENANCE].map((name) => ({ name, type: name === '_source_row' ? 'integer' as const : 'text' as const })), ...perRow];
  await mkdir(opts.tmpDir, { recursive: true });
  return withDuckDB(async (conn) => {
    // DuckDB cannot be cancelled through a promise; interrupt() makes the running statement fail promptly.
    const onAbort = () => conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await publishAtomic(outPath, async (temp) => {
        const convert: Convert = (slices, input, maxLine) => {
          const select = columns.map((c) => outputExpression(c, slices, slice)).join(', ');
          return conn.runAndReadAll(`COPY (SELECT ${select} FROM ${readText(input, inCsv, maxLine)}) TO ${sqlString(temp)} (${copyOptions})`);
        };
        const piped = opts.throughFile ? undefined : await throughPipe(db, table, names, join(opts.tmpDir, `${table}.pipe`), convert, signal, opts.keep);
        if (piped !== undefined) return { rows: piped, ...(await hashFile(temp)) };
        const text = tempPathFor(join(opts.tmpDir, `${table}.csv`));
        try {
          const { slices } = await exportSlices(db, table, names, async () => {
            const file = await open(text, 'w');
            return { fd: file.fd, close: () => file.close() };
          }, opts.keep);
          signal?.throwIfAborted();
          try {
            // DuckDB's read buffer is twice the longest line allowed; rows over 1 MB are rare enough to pay a retry.
            // A row over the limit is refused as such, or, when it is longer than the whole buffer, as a "full read".
            const reader = await convert(slices, text, SHORT_LINES).catch((error: Error) => {
              if (!/maximum line size|does not support a full read/i.test(error.message)) throw error;
              return convert(slices, text, LONG_LINES);
            });
            return { rows: Number(reader.getRows()[0]?.[0] ?? 0), ...(await hashFile(temp)) };
          } catch (error) {
            signal?.throwIfAborted();
            throw await explain(conn, error, text, inCsv, slices, outPath);
          }
        } finally {
          await rm(text, { force: true });
        }
      }, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}

/** DuckDB's COPY of the export text at `input` into the temporary Parquet file. */
type Convert = (slices: SliceProvenance[], input: string, maxLine: number) => Promise<DuckDBResultReader>;

/**
 * The export written into a named pipe that DuckDB reads as it comes. Returns the rows written, or undefined when
 * DuckDB failed (or no pipe could be made): the caller then goes through a file. A failure of the export itself
 * (a DbError: rows of no slice, a lost connection) is thrown.
 */
async function throughPipe(db: Db, table: string, names: string[], path: string, convert: Convert, signal?: AbortSignal, keep?: RowFilter): Promise<number | undefined> {
  const pipe = tempPathFor(path);
  if (!(await makeFifo(pipe))) return undefined;
  try {
    let converting: Promise<DuckDBResultReader | Error> | undefined;
    let failed: unknown;
    try {
      await exportSlices(db, table, names, async (slices) => {
        converting = convert(slices, pipe, SHORT_LINES).catch((error: Error) => error);
        const writer = await openWriter(pipe, converting);
        if (!writer) throw new ReaderGone();
        return writer;
      }, keep);
    } catch (error) {
      failed = error;
    }
    const converted = await converting;
    signal?.throwIfAborted();
    // DuckDB stopped reading (EPIPE) or never started: it is DuckDB's failure, which the file path reports.
    const readerFailed = failed instanceof ReaderGone || (failed as { code?: string } | undefined)?.code === 'EPIPE';
    if (failed !== undefined && !readerFailed) throw failed;
    return failed !== undefined || converted === undefined || converted instanceof Error ? undefined : Number(converted.getRows()[0]?.[0] ?? 0);
  } finally {
    await rm(pipe, { force: true });
  }
}

/** DuckDB failed before it opened the pipe. */
class ReaderGone extends Error {}

/** The SELECT expression of one output column: a slice constant from its list, or the CSV field cast to its type. */
function outputExpression(c: ParquetColumn, slices: SliceProvenance[], slice: string): string {
  const field = CONSTANT_FIELD.get(c.name);
  if (field === undefined) return c.type === 'numeric' ? numericExpression(c.name) : sqlIdent(c.name);
  const type = DUCKDB_TYPE[c.type];
  const values = slices.map((s) => (s[field] === null ? 'NULL' : `CAST(${sqlString(s[field] as string)} AS ${type})`));
  // One slice (a table of one period): a plain constant, which DuckDB writes a fifth faster than a list lookup.
  const value = values.length === 1 ? values[0] : values.length ? `[${values.join(', ')}][${sqlIdent(slice)}]` : 'NULL';
  return `CAST(${value} AS ${type}) AS ${sqlIdent(c.name)}`;
}

/** `read_csv` of lib/db's export text: no header, explicit types (numeric read as text, cast by its check). */
function readText(path: string, columns: ParquetColumn[], maxLine = LONG_LINES): string {
  const spec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type === 'numeric' ? 'VARCHAR' : DUCKDB_TYPE[c.type])}`).join(', ');
  // PostgreSQL's CSV conventions: only an unquoted empty field is NULL, "" is the empty string; no sniffing.
  return (
    `read_csv(${sqlString(path)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `nullstr = '', allow_quoted_nulls = false, strict_mode = true, encoding = 'utf-8', ` +
    `max_line_size = ${maxLine}, buffer_size = ${2 * maxLine}, columns = {${spec}})`
  );
}

/** A failed conversion as the user should read it; a numeric value a DOUBLE would round is traced to its slice and row. */
async function explain(conn: DuckDBConnection, error: unknown, path: string, columns: ParquetColumn[], slices: SliceProvenance[], outPath: string): Promise<Error> {
  const raw = error instanceof Error ? error.message : String(error);
  const at = raw.indexOf(NUMERIC_ERROR);
  const rest = at < 0 ? '' : raw.slice(at + NUMERIC_ERROR.length);
  const column = columns.find((c) => c.type === 'numeric' && rest.startsWith(`${c.name}:`));
  if (!column) return new Error(`Cannot write ${outPath}: ${duckdbErrorText(error)}.`);
  const tail = rest.slice(column.name.length + 1);
  const kind = tail.startsWith('nan:') ? 'nan' : 'lossy';
  const value = tail.slice(kind.length + 1);
  let where = '';
  try {
    const found = (await conn.runAndReadAll(`SELECT ${sqlIdent(columns[0]!.name)}, _source_row FROM ${readText(path, columns)} WHERE ${sqlIdent(column.name)} = ${sqlString(value)} LIMIT 1`)).getRows()[0];
    const s = found && slices[Number(found[0]) - 1];
    if (s) where = ` in period ${s.period} from ${s.sourceFile}${s.sheet ? ` sheet "${s.sheet}"` : ''}, source row ${Number(found[1])}`;
  } catch {
    // the message is useful without the row
  }
  const problem = kind === 'nan' ? 'is not a number' : 'has more significant digits than a DOUBLE keeps and would be stored rounded';
  const advice = kind === 'nan' ? 'Fix the value or declare the column as text.' : 'Round it upstream or declare the column as text.';
  return new Error(`Cannot write ${outPath}: column "${column.name}"${where}: ${JSON.stringify(value)} ${problem}. ${advice}`);
}
