/**
 * The server driver: a real PostgreSQL reached through a `pg` Pool. Bulk loads stream `COPY ... FROM STDIN`
 * (binary for the load path, CSV for copyRows) and exports stream `COPY (…) TO STDOUT` (./postgres-copy.ts).
 */
import { tempPathFor } from '../atomic.ts';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PipelineError } from '../failure.ts';
import { assertNotInOwnTx, DbAbortError, DbError, parseInt8, runMarkedAsTx, type Db, type DbTx, type TransactionOptions } from './types.ts';
import { holdPostgresLock, type HeldLock, type LockOptions } from './advisory.ts';
import { copyBinaryPostgres, copyOutPostgres, copyPostgres } from './postgres-copy.ts';

/** Same value shapes as the PGlite driver: int8 as number when safe, dates as `'YYYY-MM-DD'`. */
const TYPE_OVERRIDES: Record<number, (x: string) => unknown> = { 20: parseInt8, 1082: (x) => x };
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    (format === undefined || format === 'text') && TYPE_OVERRIDES[oid] ? TYPE_OVERRIDES[oid] : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Where a URL points, without its password: `127.0.0.1:5432/db as user`. */
function describeUrl(url: URL): string {
  const db = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  const user = url.username ? ` as ${decodeURIComponent(url.username)}` : '';
  return `${url.hostname || 'localhost'}:${url.port || '5432'}/${db}${user}`;
}

/** Open a pool on `databaseUrl` and check that a connection works, turning failures into a {@link DbError}. */
export async function openPostgres(databaseUrl: string): Promise<Db> {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw badUrl(urlProblem(databaseUrl));
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw badUrl(`its scheme is ${url.protocol}, not postgres:`);
  const where = describeUrl(url);
  const secrets = [url.password, decodeURIComponent(url.password), databaseUrl].filter((s) => s.length > 0);
  const scrub = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 10_000, types, application_name: 'nhs-pipeline' });
  // An idle client losing its connection must not crash the process; the next query reports the problem.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as { code?: string; message?: string };
    const msg = scrub(e.message ?? String(err));
    throw new DbError(`Could not connect to PostgreSQL at ${where}: ${msg}`, connectHint(e.code, url), { cause: scrubError(err, scrub), environmental: true });
  }
  return new PostgresDb(pool, `PostgreSQL ${where}`, databaseUrl);
}

/**
 * A DATABASE_URL that is not a PostgreSQL URL is how the command was called, not something wrong with the
 * data: a usage error, and transient, so no target is remembered as failed because of it and the build after
 * the URL is fixed loads everything (without --retry-failed). The message never repeats the URL (its password).
 */
function badUrl(problem: string): PipelineError {
  return new PipelineError({
    kind: 'usage',
    transient: true,
    message: `DATABASE_URL is not a usable PostgreSQL URL: ${problem}`,
    hint: 'Use the form postgres://user:password@host:5432/database (percent-encode special characters in the password), or unset DATABASE_URL to use the embedded database.',
  });
}

/** What makes a URL unparseable, said without the password: a port out of range or not a number, an unclosed "[". */
function urlProblem(text: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(text.trim());
  if (!m) return 'it does not start with postgres://';
  const hostPort = m[2]!.slice(m[2]!.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return 'the IPv6 address opened with "[" is never closed with "]"';
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostPort)?.[1];
  if (port !== undefined && port !== '') {
    // Not echoed: with an unencoded "#", "/" or "?" in the password, what looks like a port is part of it.
    if (!/^\d+$/.test(port)) return 'the port after the host is not a number (a "#", "/" or "?" in the password must be percent-encoded)';
    if (Number(port) > 65535) return `port ${port} is out of range (1–65535)`;
  }
  return 'it is not a valid URL (check for unencoded special characters such as "@", "/" or "#" in the user name or password)';
}

function connectHint(code: string | undefined, url: URL): string {
  const hostPort = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing is listening on ${hostPort}: start PostgreSQL there, or fix the host/port in the database URL (leave the URL out to use the embedded database).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host name ${url.hostname} does not resolve: fix the host in the database URL.`;
    case '28P01':
    case '28000':
      return 'The server refused the user name or password: check them in the database URL (and pg_hba.conf on the server).';
    case '3D000':
      return 'The database does not exist on that server: create it (createdb NAME) or fix the database name in the URL.';
    default:
      return 'Check that the server is running and reachable and that the database URL (host, port, user, password, database) is right.';
  }
}

/** Copy of an error whose message has secrets removed, so a `cause` chain cannot leak the password either. */
function scrubError(err: unknown, scrub: (s: string) => string): Error {
  const e = new Error(scrub(err instanceof Error ? err.message : String(err)));
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') Object.assign(e, { code });
  return e;
}

const LOST_CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '53300', '57P01', '57P02', '57P03']);

/**
 * Marks the error of a lost or refused connection (the server restarted, was shut down, ran out of
 * connections; SQLSTATE class 08) as `environmental`: nothing about the data is wrong, so a failed load
 * is not remembered as a failure and the next build tries again.
 */
function markLostConnection(err: unknown): unknown {
  if (!(err instanceof Error) || !isLostConnection(err) || (err instanceof DbError && err.environmental)) return err;
  const hint = err instanceof DbError ? err.failure.hint ?? LOST_HINT : LOST_HINT;
  return new DbError(err instanceof DbError ? err.failure.message : err.message, hint, { cause: err, environmental: true });
}

const LOST_HINT = 'the connection to the PostgreSQL server was lost; nothing of the interrupted work was kept, build again once the server is back';

/** The error, or one it wraps (COPY errors are re-worded with the row: `cause`), is a lost or refused connection. */
function isLostConnection(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || LOST_CONNECTION_CODES.has(code))) return true;
  if (/^Connection terminated|timeout exceeded when trying to connect/i.test(err.message)) return true;
  return isLostConnection(err.cause, depth + 1);
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  #closed = false;

  constructor(private readonly pool: pg.Pool, readonly description: string, private readonly url: string) {}

  async holdLock(name: string, opts?: LockOptions): Promise<HeldLock> {
    this.#checkUsable('holdLock');
    try {
      return await holdPostgresLock(this.url, name, opts);
    } catch (err) {
      throw markLostConnection(err);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    this.#checkUsable('query');
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (err) {
      throw markLostConnection(err);
    }
  }

  async exec(sql: string): Promise<void> {
    this.#checkUsable('exec');
    try {
      await this.pool.query(sql); // no parameters: the simple protocol, which accepts several statements
    } catch (err) {
      throw markLostConnection(err);
    }
  }

  async transaction<T>(fn: (tx: DbTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    this.#checkUsable('transaction');
    const signal = opts?.signal;
    const aborted = () => new DbAbortError('The database transaction', signal?.reason);
    if (signal?.aborted) throw aborted();
    const client = await this.#connect();
    const onClientError = () => {};
    client.on('error', onClientError);
    let open = true;
    let abortFired = false;
    let backendPid: number | undefined;
    // Cancel the running statement at once (from another connection) rather than waiting for it to finish.
    const onAbort = () => {
      abortFired = true;
      if (open && backendPid !== undefined) this.pool.query('SELECT pg_cancel_backend($1)', [backendPid]).catch(() => {});
    };
    const check = () => {
      if (!open) throw new Error('This transaction has already finished; use the tx only inside its callback');
      if (signal?.aborted) throw aborted();
    };
    let broken = false;
    try {
      await client.query(opts?.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      if (signal) {
        backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const tx: DbTx = {
        query: async <R>(sql: string, params?: unknown[]) => {
          check();
          return (await client.query(sql, params)).rows as R[];
        },
        exec: async (sql: string) => {
          check();
          await client.query(sql);
        },
        copyRows: (table, columns, rows) => copyPostgres(client, check, table, columns, rows),
        copyBinary: (table, constants, columns, encode) => copyBinaryPostgres(client, check, table, [...constants.map((c) => c.name), ...columns], encode({ constantsInRows: true, offThread: false })),
        copyTo: (sql, fd) => copyOutPostgres(client, check, sql, fd),
        statement: async (sql: string) => {
          check();
          const res = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
          return { columns: res.fields.map((f) => f.name), rows: res.rows, ...(res.fields.length ? {} : { affected: res.rowCount ?? 0 }) };
        },
      };
      const result = await runMarkedAsTx(this, () => open, () => fn(tx));
      check();
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      if (signal?.aborted) throw err instanceof DbAbortError ? err : aborted();
      throw markLostConnection(err);
    } finally {
      open = false;
      signal?.removeEventListener('abort', onAbort);
      client.off('error', onClientError);
      // A cancel request may still be in flight after an abort: never hand that connection to someone else.
      client.release(broken || abortFired);
    }
  }

  async exportCsv(selectSql: string, destPath: string): Promise<number> {
    this.#checkUsable('exportCsv');
    const sql = selectSql.trim().replace(/;\s*$/, '');
    await mkdir(path.dirname(destPath), { recursive: true });
    const tmp = tempPathFor(destPath);
    const client = await this.#connect();
    let broken = false;
    // Opened before the query starts: a query failing at once must not race the file's creation, or the
    // temp file would appear after it was removed.
    const out = createWriteStream(tmp);
    try {
      await once(out, 'open');
      const source = client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER)`));
      await pipeline(source, out);
      await rename(tmp, destPath);
      return source.rowCount;
    } catch (err) {
      broken = !(err instanceof pg.DatabaseError); // a server error leaves the connection usable; a file error may not
      // Wait for the file to be closed (not `once(out, 'close')`, which rejects on the stream's own error).
      out.on('error', () => undefined);
      if (!out.closed) await new Promise<void>((resolve) => (out.once('close', () => resolve()), out.destroy()));
      await rm(tmp, { force: true });
      throw markLostConnection(err);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }

  /** A pooled client; failing to get one (the server went away) is marked like any lost connection. */
  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw markLostConnection(err);
    }
  }

  #checkUsable(method: string): void {
    if (this.#closed) throw new DbError(`${this.description} is closed`, 'Open the database again with openDb().');
    assertNotInOwnTx(this, this.description, method);
  }
}
