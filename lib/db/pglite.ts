/**
 * The embedded driver: PGlite (PostgreSQL compiled to WebAssembly) with its data directory on disk.
 * PGlite has a single backend, so transactions are serialised by PGlite itself; bulk loads use
 * `COPY ... FROM '/dev/blob'` one bounded chunk at a time, all inside the caller's transaction.
 */
import type { HeldLock } from './advisory.ts';
import { tempPathFor } from '../atomic.ts';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { assertNotInOwnTx, DbAbortError, DbError, parseInt8, quoteIdent, runMarkedAsTx, type CopyConstant, type CopyRow, type CopySegment, type Db, type DbTx, type TransactionOptions } from './types.ts';
import { COPY_HEADER, COPY_TRAILER } from './binary.ts';
import { copyError, csvChunks, csvOutField } from './csv.ts';
import { copyOutPglite } from './pglite-copy-out.ts';
import { openWithTemplate } from './pglite-template.ts';

/** COPY chunk bounds: measured (stack.md §3b) to keep PGlite's peak memory flat while staying near full speed. */
export const PGLITE_CHUNK = { maxRows: 20_000, maxChars: 8 * 1024 * 1024 };
/** Binary COPY statements carry about this many bytes of rows each: memory stays flat, statements stay few. */
export const PGLITE_BINARY_BYTES = 16 * 1024 * 1024;
/**
 * PGlite's buffer pool lives in its WebAssembly heap, which never shrinks: PostgreSQL's default 128 MB stays
 * resident once a load has filled it. Its data files are read through the OS, whose page cache serves the rest:
 * 32 MB loads 300k rows in the same time (bench/load.bench.ts) and takes 130 MB off the example's peak. The pool is
 * also touched as PGlite starts: its heap is 47 MB resident at 32 MB, 29 MB at 16 MB; 16 MB loads 1M rows in the
 * same time (3.75–4.18 s, against 3.62–4.90 s at 32 MB, runs alternated).
 */
const PGLITE_SHARED_BUFFERS = '16MB';
/** Rows fetched per cursor round trip by exportCsv. */
const EXPORT_FETCH = 5_000;

/** Data directories open in this process: two PGlite instances on one directory would corrupt it. */
const openDirs = new Set<string>();

/** PGlite's date parser returns a Date (time-zone shifted); keep `'YYYY-MM-DD'`, and int8 as in {@link parseInt8}. */
const NORMAL_PARSERS = { 20: parseInt8, 1082: (x: string) => x };

/** Open (creating on first use, from the template of ./pglite-template.ts when there is one) the PGlite database at `<workspace>/.pglite`. */
export async function openPglite(workspace: string): Promise<Db> {
  const dataDir = path.resolve(workspace, '.pglite');
  if (openDirs.has(dataDir)) {
    throw new DbError(
      `The embedded database ${dataDir} is already open in this process`,
      'Close the other Db (db.close()) before opening it again, or share the one that is open.',
    );
  }
  openDirs.add(dataDir);
  try {
    await removeSortSpills(dataDir);
    const pg = await openWithTemplate(dataDir, async (dir) => {
      await mkdir(dir, { recursive: true });
      return PGlite.create(dir, { parsers: NORMAL_PARSERS, debug: 0, startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`] });
    });
    return new PgliteDb(pg, dataDir);
  } catch (err) {
    openDirs.delete(dataDir);
    if (err instanceof DbError) throw err;
    throw new DbError(
      `Could not open the embedded database at ${dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      `If the folder was written by another PGlite/PostgreSQL version or is damaged, move it aside (e.g. rename ${dataDir} to ${dataDir}.old) and build again: loaded tables are rebuilt from the manifests.`,
      { cause: err, environmental: true },
    );
  }
}

/**
 * A PostgreSQL server removes the files its sorts spilled to disk when it starts; PGlite, which runs PostgreSQL in
 * single-user mode, does not, so what a process killed mid-sort left (a first load's index, a table's export) would
 * stay in the workspace for good. Whoever opens the database holds `.cache/db.lock`: no query of another owns them.
 */
async function removeSortSpills(dataDir: string): Promise<void> {
  const dir = path.join(dataDir, 'base', 'pgsql_tmp');
  const names = await readdir(dir).catch(() => []);
  await Promise.all(names.filter((n) => n.startsWith('pgsql_tmp')).map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly description: string;
  #closed = false;
  /** Parsers that leave every value as PostgreSQL's text output (used by exportCsv). */
  readonly #rawParsers: Record<number, (x: string) => string>;

  constructor(private readonly pg: PGlite, private readonly dataDir: string) {
    this.description = `PGlite at ${dataDir}`;
    const raw: Record<number, (x: string) => string> = {};
    for (const key of Object.keys(pg.parsers)) if (/^\d+$/.test(key)) raw[Number(key)] = (x) => x;
    this.#rawParsers = raw;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    this.#checkUsable('query');
    return (await this.pg.query<T>(sql, params)).rows;
  }

  async exec(sql: string): Promise<void> {
    this.#checkUsable('exec');
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: DbTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    this.#checkUsable('transaction');
    const signal = opts?.signal;
    const aborted = () => new DbAbortError('The database transaction', signal?.reason);
    if (signal?.aborted) throw aborted();
    try {
      return await this.pg.transaction(async (ptx) => {
        if (opts?.snapshot) await ptx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        let open = true;
        // PGlite cannot interrupt a running statement, so the signal is honoured between statements and COPY chunks.
        const check = () => {
          if (!open) throw new Error('This transaction has already finished; use the tx only inside its callback');
          if (signal?.aborted) throw aborted();
        };
        const tx: DbTx = {
          query: async <R>(sql: string, params?: unknown[]) => {
            check();
            return (await ptx.query<R>(sql, params)).rows;
          },
          exec: async (sql: string) => {
            check();
            await ptx.exec(sql);
          },
          copyRows: (table, columns, rows) => copyPglite(ptx, check, table, columns, rows),
          copyBinary: (table, constants, columns, encode) => copyBinaryPglite(ptx, check, table, constants, columns, encode({ constantsInRows: false, offThread: true })),
          statement: async (sql: string) => {
            check();
            const res = await ptx.query<unknown[]>(sql, [], { rowMode: 'array' });
            return { columns: res.fields.map((f) => f.name), rows: res.rows, ...(res.fields.length ? {} : { affected: res.affectedRows ?? 0 }) };
          },
          copyTo: (sql, fd) => {
            check();
            return copyOutPglite(this.pg, `COPY (${sql}) TO STDOUT WITH (FORMAT csv)`, fd);
          },
        };
        try {
          const result = await runMarkedAsTx(this, () => open, () => fn(tx));
          check(); // an abort during the callback's last await must still roll back
          return result;
        } finally {
          open = false;
        }
      });
    } catch (err) {
      if (signal?.aborted) throw err instanceof DbAbortError ? err : aborted();
      throw err;
    }
  }

  async exportCsv(selectSql: string, destPath: string): Promise<number> {
    this.#checkUsable('exportCsv');
    const sql = selectSql.trim().replace(/;\s*$/, '');
    await mkdir(path.dirname(destPath), { recursive: true });
    const tmp = tempPathFor(destPath);
    const rawParsers = this.#rawParsers;
    let count = 0;
    try {
      // A cursor keeps memory bounded: rows arrive EXPORT_FETCH at a time, as text, and are written as they come
      // (the pipeline applies the file's backpressure to the fetches).
      await this.pg.transaction(async (ptx) => {
        await ptx.query(`DECLARE nhs_export NO SCROLL CURSOR FOR ${sql}`);
        async function* lines(): AsyncGenerator<string> {
          for (let first = true; ; first = false) {
            const res = await ptx.query<string[]>(`FETCH ${EXPORT_FETCH} FROM nhs_export`, [], { rowMode: 'array', parsers: rawParsers });
            if (first) yield res.fields.map((f) => csvOutField(f.name)).join(',') + '\n';
            if (res.rows.length === 0) return;
            let chunk = '';
            for (const row of res.rows) chunk += row.map((v) => csvOutField(v)).join(',') + '\n';
            count += res.rows.length;
            yield chunk;
          }
        }
        await pipeline(Readable.from(lines()), createWriteStream(tmp));
        await ptx.query('CLOSE nhs_export');
      });
      await rename(tmp, destPath);
      return count;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** One process has the embedded database open (`.cache/db.lock`): every lock is held at once. */
  async holdLock(): Promise<HeldLock> {
    return { waited: false, release: async () => {} };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.pg.close();
    } finally {
      openDirs.delete(this.dataDir);
    }
  }

  #checkUsable(method: string): void {
    if (this.#closed) throw new DbError(`${this.description} is closed`, 'Open the database again with openDb().');
    assertNotInOwnTx(this, this.description, method);
  }
}

/** COPY rows in bounded chunks through PGlite's `/dev/blob` device, all within the open transaction. */
async function copyPglite(
  ptx: Transaction,
  check: () => void,
  table: string,
  columns: string[],
  rows: AsyncIterable<CopyRow> | Iterable<CopyRow>,
): Promise<number> {
  check();
  const sql = `COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM '/dev/blob' WITH (FORMAT csv)`;
  let total = 0;
  for await (const chunk of csvChunks(rows, table, columns, PGLITE_CHUNK)) {
    check();
    try {
      await ptx.query(sql, [], { blob: new Blob([chunk.csv]) });
    } catch (err) {
      throw copyError(err, table, chunk.firstRow);
    }
    total += chunk.rows;
  }
  return total;
}

/** An SQL string literal (standard_conforming_strings, PGlite's default: only quotes are doubled). */
function literal(value: string): string {
  if (value.includes('\0')) throw new DbError(`Value ${JSON.stringify(value)} contains a NUL character, which PostgreSQL text cannot store`, 'Remove the NUL character.');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Binary COPY through `/dev/blob`, a statement per ~16 MB of rows. The constants become the columns' defaults for
 * the copy (and are dropped again before it returns; a rollback drops them too), so the rows carry only the
 * columns that vary.
 */
async function copyBinaryPglite(
  ptx: Transaction,
  check: () => void,
  table: string,
  constants: CopyConstant[],
  columns: string[],
  segments: AsyncIterable<CopySegment>,
): Promise<number> {
  check();
  const given = constants.filter((c) => c.value !== null);
  if (given.length > 0) {
    await ptx.exec(`ALTER TABLE ${table} ${given.map((c) => `ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${literal(c.value!)}::${c.type}`).join(', ')}`);
  }
  const sql = `COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM '/dev/blob' WITH (FORMAT binary)`;
  let total = 0;
  let parts: Uint8Array[] = [];
  let bytes = 0;
  let rows = 0;
  const flush = async () => {
    check();
    try {
      await ptx.query(sql, [], { blob: new Blob([COPY_HEADER, ...parts, COPY_TRAILER] as BlobPart[]) });
    } catch (err) {
      throw copyError(err, table, total + 1);
    }
    total += rows;
    parts = [];
    bytes = 0;
    rows = 0;
  };
  for await (const segment of segments) {
    parts.push(segment.bytes);
    bytes += segment.bytes.length;
    rows += segment.rows;
    if (bytes >= PGLITE_BINARY_BYTES) await flush();
  }
  if (rows > 0) await flush();
  if (given.length > 0) await ptx.exec(`ALTER TABLE ${table} ${given.map((c) => `ALTER COLUMN ${quoteIdent(c.name)} DROP DEFAULT`).join(', ')}`);
  return total;
}
