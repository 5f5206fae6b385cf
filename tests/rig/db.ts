/**
 * Test databases for everyone's tests: the same suite runs on embedded PGlite and, when `DATABASE_URL` is set
 * (CI sets it), on a real PostgreSQL server.
 *
 * A pristine embedded data directory is made once per machine under the OS temp folder (keyed by the PGlite version,
 * published with an atomic rename so parallel vitest workers never see half of it) and copied into each test
 * workspace's `.pglite/`.
 * For PostgreSQL, every TestDb is a fresh database `nhs_test_<random>` on DATABASE_URL's server, dropped on cleanup.
 */
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { openDb, type Db } from '../../lib/db/index.ts';
import { pgliteVersion } from '../../lib/db/pglite-template.ts';

/** One test database; open() may be called several times (close each Db, or let cleanup() close them). */
export interface TestDb {
  /** `'pglite'` or `'postgres'`, for test names. */
  name: string;
  open(): Promise<Db>;
  /** Set for PostgreSQL: a URL to this test's own database. */
  databaseUrl?: string;
  workspace: string;
  /** Close every Db opened through open() and remove the database (PostgreSQL) or `<workspace>/.pglite`. */
  cleanup(): Promise<void>;
}

/** Backends to test: always `'pglite'`, plus `'postgres'` when `DATABASE_URL` is set. */
export function testBackends(): ('pglite' | 'postgres')[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** A test database in a fresh temporary workspace, opened once; `cleanup()` drops it and removes the folder. */
export interface TempTestDb { dir: string; tdb: TestDb; db: Db; cleanup(): Promise<void> }

/** {@link makeTestDb} in a new folder under the OS temp folder named `<prefix>…`, with one Db open on it. */
export async function tempTestDb(kind: 'pglite' | 'postgres', prefix: string): Promise<TempTestDb> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const tdb = await makeTestDb(kind, dir);
  return {
    dir,
    tdb,
    db: await tdb.open(),
    cleanup: async () => {
      await tdb.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Create a test database of `kind` whose embedded data (if any) lives in `<workspace>/.pglite`. */
export async function makeTestDb(kind: 'pglite' | 'postgres', workspace: string): Promise<TestDb> {
  await mkdir(workspace, { recursive: true });
  const opened: Db[] = [];
  const closeAll = async () => {
    for (const db of opened.splice(0)) await db.close().catch(() => {});
  };
  if (kind === 'pglite') {
    const template = await pgliteTemplate();
    await cp(template, path.join(workspace, '.pglite'), { recursive: true });
    return {
      name: 'pglite',
      workspace,
      open: async () => {
        const db = await openDb({ workspace });
        opened.push(db);
        return db;
      },
      cleanup: async () => {
        await closeAll();
        await rm(path.join(workspace, '.pglite'), { recursive: true, force: true });
      },
    };
  }
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('makeTestDb("postgres") needs DATABASE_URL (postgres://user:password@host:port/db of a role with CREATEDB)');
  const dbName = `nhs_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  return {
    name: 'postgres',
    workspace,
    databaseUrl,
    open: async () => {
      const db = await openDb({ workspace, databaseUrl });
      opened.push(db);
      return db;
    },
    cleanup: async () => {
      await closeAll();
      await dropDatabase(serverUrl, dbName);
    },
  };
}

/**
 * Drops a test database. Not `WITH (FORCE)`: that fails outright when a backend of another role is attached
 * (seen with an autovacuum worker in CI). A plain DROP lets the server cancel its own workers; connections a
 * failed test leaked (our own role) are ended first, and a busy database is retried for a few seconds.
 */
async function dropDatabase(serverUrl: string, dbName: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(
        serverUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}' AND usename = current_user AND pid <> pg_backend_pid()`,
      );
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${dbName}`);
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Path of the shared pristine PGlite data directory, created once per machine and PGlite version by the pipeline's
 * own first open (lib/db/pglite-template.ts: unpacked from the committed cluster, no initdb), then copied per test.
 */
async function pgliteTemplate(): Promise<string> {
  const dir = path.join(os.tmpdir(), `nhs-pipeline-pglite-template-${pgliteVersion()}`);
  if (await exists(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await (await openDb({ workspace: tmp })).close();
    await rename(path.join(tmp, '.pglite'), dir);
  } catch (err) {
    // Another worker published first (rename onto a non-empty dir fails): use theirs.
    if (!(await exists(dir))) throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** A PostgreSQL URL for a port nobody listens on (bound and released again): a database that cannot be reached. */
export async function unreachableDatabaseUrl(password = 'pw'): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `postgres://nhs:${password}@127.0.0.1:${port}/nhs`;
}
