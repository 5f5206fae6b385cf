// Contract of lib/db on every backend: value shapes, transactions (commit, rollback, abort), COPY of awkward values
// and of 200k rows through the chunked path, CSV export, and user-facing errors.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError, openDb, quoteIdent, type Db } from '../../lib/db/index.ts';
import type { PipelineError } from '../../lib/failure.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';

describe.each(testBackends())('db contract on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-db-test-');
    db = t.db;
  });
  afterAll(() => t?.cleanup());

  it('describes itself without a password', () => {
    expect(db.kind).toBe(backend);
    if (backend === 'pglite') {
      expect(db.description).toBe(`PGlite at ${path.join(t.dir, '.pglite')}`);
    } else {
      const url = new URL(t.tdb.databaseUrl!);
      expect(db.description).toBe(`PostgreSQL ${url.hostname}:${url.port || '5432'}${url.pathname} as ${url.username}`);
      if (url.password) expect(db.description).not.toContain(url.password);
    }
  });

  it('returns the same value shapes on every backend', async () => {
    const rows = await db.query(
      `SELECT 7::int AS i, 2::smallint AS s, 42::bigint AS b, 9007199254740993::bigint AS big, 1.50::numeric AS n,
              DATE '2024-04-01' AS d, true AS t, '{"x":[1,"a"]}'::jsonb AS j, NULL::text AS z, '£ – x'::text AS txt,
              $1::text AS p`,
      ['param'],
    );
    expect(rows).toEqual([{ i: 7, s: 2, b: 42, big: '9007199254740993', n: '1.50', d: '2024-04-01', t: true, j: { x: [1, 'a'] }, z: null, txt: '£ – x', p: 'param' }]);
  });

  it('commits a transaction and returns its result', async () => {
    await db.query('CREATE TABLE tx_commit (v text)');
    const out = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_commit VALUES ($1), ($2)', ['a', 'b']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM tx_commit'))[0]!.n;
    });
    expect(out).toBe(2);
    expect(await db.query('SELECT v FROM tx_commit ORDER BY v')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('rolls back when the callback throws and rethrows the same error', async () => {
    await db.query('CREATE TABLE tx_rollback (v text)');
    const boom = new Error('boom');
    await expect(db.transaction(async (tx) => {
      await tx.copyRows('tx_rollback', ['v'], [['x'], ['y']]);
      throw boom;
    })).rejects.toBe(boom);
    expect(await db.query('SELECT count(*)::int AS n FROM tx_rollback')).toEqual([{ n: 0 }]);
    // The connection is usable afterwards.
    await db.transaction((tx) => tx.query('INSERT INTO tx_rollback VALUES ($1)', ['z']));
    expect(await db.query('SELECT v FROM tx_rollback')).toEqual([{ v: 'z' }]);
  });

  it('rolls back and throws AbortError when the signal aborts during a COPY, leaving no rows', async () => {
    await db.query('CREATE TABLE tx_abort (n integer)');
    const ctl = new AbortController();
    async function* rows() {
      // Abort after the first 20k-row PGlite chunk was already copied, so the rollback has work to undo.
      for (let i = 1; i <= 40_000; i++) {
        if (i === 25_000) ctl.abort();
        yield [String(i)];
      }
    }
    const err = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_abort VALUES (-1)');
      return tx.copyRows('tx_abort', ['n'], rows());
    }, { signal: ctl.signal }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect(await db.query('SELECT count(*)::int AS n FROM tx_abort')).toEqual([{ n: 0 }]);
  });

  it('does not start a transaction whose signal already aborted, and aborts after the callback too', async () => {
    await db.query('CREATE TABLE tx_pre (n integer)');
    let ran = false;
    await expect(db.transaction(async () => { ran = true; }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(ran).toBe(false);
    const ctl = new AbortController();
    await expect(db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_pre VALUES (1)');
      ctl.abort(); // the callback itself finishes normally: COMMIT must still not happen
    }, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await db.query('SELECT count(*)::int AS n FROM tx_pre')).toEqual([{ n: 0 }]);
  });

  it.runIf(backend === 'postgres')('cancels a running statement at once when the signal aborts (PostgreSQL)', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const t0 = performance.now();
    await expect(db.transaction((tx) => tx.query('SELECT pg_sleep(20)'), { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('copies awkward values exactly: commas, quotes, newlines, NULL vs empty string, – and £', async () => {
    await db.query('CREATE TABLE awkward (id integer, v text)');
    const values: (string | null)[] = [
      'a,b', 'say "hi"', 'line1\nline2', 'cr\r\nlf', '', null, '–', '£1,234', '\\.', 'back\\slash', ' padded ', 'NULL', '"', ',',
    ];
    const n = await db.transaction((tx) => tx.copyRows('awkward', ['id', 'v'], values.map((v, i) => [String(i), v])));
    expect(n).toBe(values.length);
    const rows = await db.query<{ id: number; v: string | null }>('SELECT id, v FROM awkward ORDER BY id');
    expect(rows.map((r) => r.v)).toEqual(values);
    expect(await db.query('SELECT count(*)::int AS n FROM awkward WHERE v IS NULL')).toEqual([{ n: 1 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM awkward WHERE v = ''`)).toEqual([{ n: 1 }]);
  });

  it('copies 200k rows through the chunked path with the right count and checksum', async () => {
    await db.query('CREATE TABLE big (id integer, name text, v bigint)');
    const N = 200_000;
    function* rows(): Generator<(string | null)[]> {
      for (let i = 1; i <= N; i++) yield [String(i), `name ${i}, "q"`, i % 7 === 0 ? null : String(i * 3)];
    }
    const expected = createHash('md5');
    let sumV = 0;
    for (let i = 1; i <= N; i++) {
      expected.update(`${i === 1 ? '' : '|'}${i}:${i % 7 === 0 ? '~' : i * 3}:name ${i}, "q"`);
      if (i % 7 !== 0) sumV += i * 3;
    }
    const copied = await db.transaction((tx) => tx.copyRows('big', ['id', 'name', 'v'], rows()));
    expect(copied).toBe(N);
    const [r] = await db.query<{ n: number; s: string; sv: string; md5: string }>(
      `SELECT count(*)::int AS n, sum(id)::text AS s, sum(v)::text AS sv,
              md5(string_agg(id || ':' || coalesce(v::text, '~') || ':' || name, '|' ORDER BY id)) AS md5 FROM big`,
    );
    expect(r).toEqual({ n: N, s: String((N * (N + 1)) / 2), sv: String(sumV), md5: expected.digest('hex') });
  });

  it('names the row (counted over all chunks) and column of a rejected value, and rolls back', async () => {
    await db.query('CREATE TABLE badval (id integer, amount integer)');
    function* rows(): Generator<(string | null)[]> {
      for (let i = 1; i <= 50_000; i++) yield [String(i), i === 45_001 ? '12.5x' : '1'];
    }
    const err = await db.transaction((tx) => tx.copyRows('badval', ['id', 'amount'], rows())).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).message).toBe('COPY into badval failed at row 45001 (column amount): invalid input syntax for type integer: "12.5x"');
    expect((err as DbError).hint).toMatch(/does not fit its column type/);
    expect(await db.query('SELECT count(*)::int AS n FROM badval')).toEqual([{ n: 0 }]);
  });

  it('rejects a row with the wrong number of values, naming it', async () => {
    await db.query('CREATE TABLE width (a text, b text)');
    await expect(db.transaction((tx) => tx.copyRows('width', ['a', 'b'], [['1', '2'], ['3']])))
      .rejects.toThrow('COPY into width: row 2 has 1 values but 2 columns were named (a, b)');
    expect(await db.query('SELECT count(*)::int AS n FROM width')).toEqual([{ n: 0 }]);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses to use a tx after its transaction finished', async () => {
    let saved: Parameters<Parameters<Db['transaction']>[0]>[0] | undefined;
    await db.transaction(async (tx) => { saved = tx; });
    await expect(saved!.query('SELECT 1')).rejects.toThrow(/already finished/);
  });

  it('exports CSV exactly like PostgreSQL COPY: header, NULL empty, "" for empty strings, quoting', async () => {
    await db.query(`CREATE TABLE exp (id integer, "Odd, name" text, d date, n numeric, ok boolean)`);
    await db.transaction((tx) => tx.copyRows('exp', ['id', 'Odd, name', 'd', 'n', 'ok'], [
      ['1', 'plain', '2024-04-01', '1.50', 'true'],
      ['2', '', null, null, null],
      ['3', 'a "q", b\nc', '2023-12-31', '-0.001', 'false'],
      ['4', '£ – ok', null, '100', 'true'],
    ]));
    const dest = path.join(t.dir, 'exp.csv');
    const n = await db.exportCsv('SELECT * FROM exp ORDER BY id;', dest);
    expect(n).toBe(4);
    expect(await readFile(dest, 'utf8')).toBe(
      'id,"Odd, name",d,n,ok\n' +
      '1,plain,2024-04-01,1.50,t\n' +
      '2,"",,,\n' +
      '3,"a ""q"", b\nc",2023-12-31,-0.001,f\n' +
      '4,£ – ok,,100,t\n',
    );
    expect((await readdir(t.dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('exports many rows (several cursor fetches) and round-trips them', async () => {
    const dest = path.join(t.dir, 'big.csv');
    const n = await db.exportCsv('SELECT id, name, v FROM big WHERE id <= 12345 ORDER BY id', dest);
    expect(n).toBe(12_345);
    const lines = (await readFile(dest, 'utf8')).split('\n');
    expect(lines[0]).toBe('id,name,v');
    expect(lines[1]).toBe('1,"name 1, ""q""",3');
    expect(lines[7]).toBe('7,"name 7, ""q""",');
    expect(lines[12_345]).toBe('12345,"name 12345, ""q""",37035');
    expect(lines.length).toBe(12_347); // header + rows + final empty string after the last newline
  });

  it('leaves no file behind when the export query fails', async () => {
    const dest = path.join(t.dir, 'fail.csv');
    await expect(db.exportCsv('SELECT no_such_column FROM exp', dest)).rejects.toThrow(/no_such_column/);
    expect((await readdir(t.dir)).filter((f) => f.startsWith('fail.csv'))).toEqual([]);
  });

  it('runs multi-statement scripts with exec, inside and outside transactions', async () => {
    await db.exec('CREATE TABLE script_a (v integer); INSERT INTO script_a VALUES (1), (2);');
    await db.transaction((tx) => tx.exec('INSERT INTO script_a VALUES (3); DELETE FROM script_a WHERE v = 1'));
    expect(await db.query('SELECT v FROM script_a ORDER BY v')).toEqual([{ v: 2 }, { v: 3 }]);
  });

  it('refuses calls on the Db from inside its own transaction instead of deadlocking', async () => {
    await db.query('CREATE TABLE own_tx (v integer)');
    const err = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO own_tx VALUES (1)');
      await db.query('SELECT count(*) FROM own_tx');
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).message).toBe(`db.query() was called on ${db.description} from inside one of its own transactions`);
    expect((err as DbError).hint).toMatch(/use the tx it was given/);
    expect(await db.query('SELECT count(*)::int AS n FROM own_tx')).toEqual([{ n: 0 }]);
    // Once the transaction is over, the same async context may use the Db again.
    let later: Promise<unknown> | undefined;
    await db.transaction(async () => { later = new Promise((resolve) => setTimeout(resolve, 50)).then(() => db.query('SELECT 1 AS one')); });
    expect(await later).toEqual([{ one: 1 }]);
  });

  it('creates the destination folder of an export', async () => {
    const dest = path.join(t.dir, 'new', 'folder', 'script.csv');
    expect(await db.exportCsv('SELECT v FROM script_a ORDER BY v', dest)).toBe(2);
    expect(await readFile(dest, 'utf8')).toBe('v\n2\n3\n');
  });

  it('is safe to close twice and says so when used after close', async () => {
    const other = await t.tdb.open().catch((e: unknown) => e);
    if (backend === 'pglite') {
      // One PGlite instance per data directory per process: a second open must be refused clearly.
      expect(other).toBeInstanceOf(DbError);
      expect((other as DbError).message).toBe(`The embedded database ${path.join(t.dir, '.pglite')} is already open in this process`);
      return;
    }
    const d2 = other as Db;
    await d2.close();
    await d2.close();
    await expect(d2.query('SELECT 1')).rejects.toThrow(`${d2.description} is closed`);
  });
});

describe('connection errors', () => {
  it('reports an unreachable server clearly, without the password', async () => {
    const err = await openDb({ workspace: os.tmpdir(), databaseUrl: 'postgres://someone:s3cret-Pw@127.0.0.1:1/warehouse' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    const e = err as DbError;
    expect(e.message).toMatch(/^Could not connect to PostgreSQL at 127\.0\.0\.1:1\/warehouse as someone: .*ECONNREFUSED/);
    expect(e.hint).toMatch(/^Nothing is listening on 127\.0\.0\.1:1: start PostgreSQL there/);
    expect(`${e.message} ${e.hint} ${String(e.cause)} ${e.stack}`).not.toContain('s3cret-Pw');
    expect(e.environmental).toBe(true); // the environment's failure, not the data's: the next build tries again
  });

  it.runIf(!!process.env.DATABASE_URL)('marks a connection lost inside a transaction as environmental; a data error is not', async () => {
    const db = await openDb({ workspace: os.tmpdir(), databaseUrl: process.env.DATABASE_URL });
    const admin = await openDb({ workspace: os.tmpdir(), databaseUrl: process.env.DATABASE_URL });
    try {
      const lost = await db
        .transaction(async (tx) => {
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          // The server ends this connection (as a restart or an administrator would) while it waits.
          const [slept] = await Promise.all([tx.query('SELECT pg_sleep(5)'), admin.query('SELECT pg_terminate_backend($1)', [pid])]);
          return slept;
        })
        .then(() => undefined, (e: unknown) => e as DbError);
      expect((lost?.cause as { code?: string } | undefined)?.code).toBe('57P01');
      expect(lost?.failure).toMatchObject({ kind: 'environment', transient: true });
      // The same in the middle of a COPY (where a load spends its time), whose error is re-worded with the row.
      await db.exec('DROP TABLE IF EXISTS copy_cut; CREATE TABLE copy_cut (n int)');
      const cut = await db
        .transaction(async (tx) => {
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          async function* rows() {
            for (let i = 0; ; i++) {
              if (i === 1000) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
              if (i > 1000) await new Promise((r) => setTimeout(r, 1));
              yield [String(i)];
            }
          }
          return tx.copyRows('copy_cut', ['n'], rows());
        })
        .then(() => undefined, (e: unknown) => e as Error & { environmental?: boolean });
      expect(cut?.message).toMatch(/terminat|Connection/i);
      expect(cut?.environmental).toBe(true);
      await db.exec('DROP TABLE copy_cut');
      const bad = await db.query('SELECT 1/0').then(() => undefined, (e: unknown) => e as Error & { environmental?: boolean });
      expect(bad?.message).toMatch(/division by zero/);
      expect(bad?.environmental).toBeUndefined();
    } finally {
      await db.close();
      await admin.close();
    }
  });

  it('reports a damaged embedded database with what to do, as environmental (moving it aside is not an input change)', async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'nhs-bad-pglite-'));
    try {
      await mkdir(path.join(ws, '.pglite'));
      await writeFile(path.join(ws, '.pglite', 'PG_VERSION'), '99\n'); // a data folder of no version PGlite knows
      const err = await openDb({ workspace: ws }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).message).toBe(`Could not open the embedded database at ${path.join(ws, '.pglite')}: PGlite failed to initialize properly`);
      expect((err as DbError).hint).toContain(`rename ${path.join(ws, '.pglite')} to ${path.join(ws, '.pglite')}.old`);
      expect((err as DbError).environmental).toBe(true);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  it.each([
    ['mysql://u:pw123@h/db', 'its scheme is mysql:, not postgres:'],
    ['not a url with pw123', 'it does not start with postgres://'],
    ['postgres://u:pw123@127.0.0.1:99999/db', 'port 99999 is out of range (1–65535)'],
    ['postgres://u:pw123@[::1/db', 'the IPv6 address opened with "[" is never closed with "]"'],
    ['postgres://u:pw123@db.example:5x32/db', 'the port after the host is not a number (a "#", "/" or "?" in the password must be percent-encoded)'],
    ['postgres://u:pw1#23@db.example/db', 'the port after the host is not a number (a "#", "/" or "?" in the password must be percent-encoded)'],
    ['postgres://u:pw123@db example/db', 'it is not a valid URL (check for unencoded special characters such as "@", "/" or "#" in the user name or password)'],
  ])('rejects %s, saying what is wrong without echoing it, as a usage error that is not kept (issue 14, hole 8)', async (databaseUrl, problem) => {
    const err = await openDb({ workspace: os.tmpdir(), databaseUrl }).then(() => undefined, (e: PipelineError) => e);
    expect(err?.failure).toMatchObject({ kind: 'usage', transient: true, message: `DATABASE_URL is not a usable PostgreSQL URL: ${problem}` });
    expect(`${err?.message} ${err?.hint}`).not.toContain('w123');
  });

  it.runIf(!!process.env.DATABASE_URL)('reports a wrong password without showing it', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.password = 'definitely-wrong-pw';
    const err = await openDb({ workspace: os.tmpdir(), databaseUrl: url.toString() }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).message).toMatch(/password authentication failed/);
    expect((err as DbError).hint).toMatch(/user name or password/);
    expect(`${(err as DbError).message} ${(err as DbError).hint} ${String((err as DbError).cause)}`).not.toContain('definitely-wrong-pw');
  });

  it('quotes identifiers, doubling embedded quotes', () => {
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(() => quoteIdent('')).toThrow(DbError);
  });
});
