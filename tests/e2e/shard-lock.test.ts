/**
 * Coordination through PostgreSQL, with real CLI processes in two clones of one checkout sharing one database:
 * two machines building the same period never load it at once (one loads, the other says it waits, then finds it
 * up to date; rows are not doubled), and a machine killed in the middle of a load leaves no lock and nothing
 * half-done that a later build does not finish. The test holds locks itself only to make the moments certain.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import type { TestServer } from '../rig/http-server.ts';
import { runCli, startCli } from './cli-rig.ts';
import { checkout, cloneOf, csvOf, eventsOf, outcomeOf, publishingServer } from './shard-rig.ts';

const NAMESPACE = 0x6e6873; // lib/db/advisory.ts
const WAIT = /waiting for another process .* loading/;

describe.skipIf(!process.env.DATABASE_URL)('two machines, one PostgreSQL database', () => {
  let server: TestServer;
  let root: string;
  let db: TestDb;
  let a: string;
  let b: string;
  let admin: pg.Client;
  const rows = async (sql: string, params: unknown[] = []) => (await admin.query(sql, params)).rows;

  beforeAll(async () => {
    server = await publishingServer();
    // A page with two files of different shapes: a period of two tables, each slice loaded in its own transaction.
    server.set('/files/twin-places-2024-01.csv', { body: 'Organisation,Beds,Open\nA1,4,yes\nB2,7,no\nC3,9,yes\n', headers: { 'content-type': 'text/csv' } });
    server.set('/twin/2024-01', { body: '<html><body><a href="/files/alpha-data-2024-01.csv">A</a> <a href="/files/twin-places-2024-01.csv">B</a></body></html>', headers: { 'content-type': 'text/html' } });
    root = await mkdtemp(join(tmpdir(), 'shard-lock-'));
    a = await checkout(join(root, 'a'), server);
    await appendFile(join(a, 'config/publications.yaml'), `  twin:\n    name: twin\n    periods:\n      - period: 2024-01\n        url: ${server.url}/twin/2024-01\n`);
    b = await cloneOf(a, join(root, 'b'));
    db = await makeTestDb('postgres', a);
    admin = new pg.Client({ connectionString: db.databaseUrl });
    admin.on('error', () => {});
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.cleanup();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the same period built on two machines at once: one loads, the other waits, says so once, and finds it up to date', async () => {
    const env = { DATABASE_URL: db.databaseUrl };
    // Stand in for a third machine loading gamma/2024-01, so both find it taken, whatever their speed.
    const holder = new pg.Client({ connectionString: db.databaseUrl });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [NAMESPACE, 'loaded:gamma/2024-01']);
    const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const machines = [a, b].map((ws) => startCli(['build', '-C', ws, '--json', 'gamma/2024-01:loaded'], env));
    await Promise.all(machines.map((m) => m.until(WAIT, m.stdout)));
    // The third machine dies: its lock goes with its session.
    await rows('SELECT pg_terminate_backend($1)', [pid]);
    await holder.end().catch(() => {});
    const codes = await Promise.all(machines.map((m) => m.code));
    machines.forEach((m, i) => expect(codes[i], m.stderr()).toBe(0));

    const runs = machines.map((m) => ({ events: eventsOf(m.stdout()) }));
    expect(runs.map((r) => outcomeOf(r, 'loaded:gamma/2024-01')).sort()).toEqual(['ran', 'up-to-date']);
    for (const r of runs) expect(r.events.filter((e) => e.event === 'target-log' && WAIT.test(String(e.message)))).toHaveLength(1);
    const [{ n }] = await rows(`SELECT count(*)::int AS n FROM datawarp.loads l WHERE publication = 'gamma'`);
    expect(n).toBe(1);
    const [{ table_name: table }] = await rows(`SELECT table_name FROM datawarp.loads WHERE publication = 'gamma'`);
    const [{ c }] = await rows(`SELECT count(*)::int AS c FROM staging."${table}" WHERE _period = '2024-01'`);
    expect(c).toBe(csvOf('gamma', '2024-01').rows);
  });

  it('a machine killed in the middle of a load holds nothing, and the next build on another finishes the period', async () => {
    const env = { DATABASE_URL: db.databaseUrl };
    // Learn the period's two tables and their order: build it to canonical, read the manifest's tables.
    const first = await runCli(['build', '-C', a, '--json', 'twin/2024-01:canonical'], env);
    expect(first.code, first.stderr).toBe(0);
    const canon = parse(await readFile(join(a, 'manifests/canonical/twin/2024-01.yaml'), 'utf8')) as { tables: { table: string }[] };
    const [t1, t2] = canon.tables.map((t) => t.table);
    expect(t2).toBeDefined();
    // Machine A gets past the first slice (committed) and is held at the second: then it is killed.
    const blocker = new pg.Client({ connectionString: db.databaseUrl });
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`staging.${t2}`]);
    const dying = startCli(['build', '-C', a, '--json', 'twin/2024-01:loaded'], env);
    for (let held = false; !held; ) {
      await new Promise((r) => setTimeout(r, 50));
      held = (await rows(`SELECT 1 FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid WHERE NOT l.granted AND s.application_name = 'nhs-pipeline' AND s.datname = current_database()`)).length > 0;
    }
    expect((await rows(`SELECT table_name FROM datawarp.loads WHERE publication = 'twin'`)).map((r) => r.table_name)).toEqual([t1]);
    dying.kill('SIGKILL');
    await dying.code;
    await blocker.query('ROLLBACK');
    await blocker.end();
    // Its lock died with it: taken at once.
    const [{ ok }] = await rows('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [NAMESPACE, 'loaded:twin/2024-01']);
    expect(ok).toBe(true);
    await rows('SELECT pg_advisory_unlock($1, hashtext($2))', [NAMESPACE, 'loaded:twin/2024-01']);
    // Nothing half-done counts as done: no record of the period; the next build on B finishes it, rows once.
    expect(await rows(`SELECT 1 FROM datawarp.periods WHERE publication = 'twin'`)).toHaveLength(0);
    const next = await runCli(['build', '-C', b, '--json', 'twin/2024-01:loaded'], env);
    expect(next.code, next.stderr).toBe(0);
    expect(outcomeOf(next, 'loaded:twin/2024-01')).toBe('ran');
    // The publication's rows, and any of no slice (a half-done load's leftovers would show here).
    const count = async (t: string) =>
      (await rows(`SELECT count(*)::int AS c FROM staging."${t}" t LEFT JOIN datawarp.slices s ON s.slice_id = t._slice WHERE s.publication = 'twin' OR s.slice_id IS NULL`))[0].c;
    expect((await count(t1)) + (await count(t2))).toBe(csvOf('alpha', '2024-01').rows + 3);
    expect(await rows(`SELECT 1 FROM datawarp.periods WHERE publication = 'twin'`)).toHaveLength(1);
  });

  it('Ctrl-C while waiting for another machine ends the build at once (exit 130), with nothing loaded', async () => {
    const env = { DATABASE_URL: db.databaseUrl };
    const holder = new pg.Client({ connectionString: db.databaseUrl });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [NAMESPACE, 'loaded:delta/2024-02']);
    const waiting = startCli(['build', '-C', a, '--json', 'delta/2024-02:loaded'], env);
    await waiting.until(WAIT, waiting.stdout);
    waiting.kill('SIGINT');
    expect(await waiting.code).toBe(130);
    expect(outcomeOf({ events: eventsOf(waiting.stdout()) }, 'loaded:delta/2024-02')).toBe('cancelled');
    expect(await rows(`SELECT 1 FROM datawarp.loads WHERE publication = 'delta'`)).toHaveLength(0);
    await holder.end();
  });
});
