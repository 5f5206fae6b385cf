/**
 * `build --shard i/n` through the real CLI: three shard processes at once (on PostgreSQL in two clones of one
 * checkout sharing the database; on the embedded database in one workspace, where they take turns), then the
 * final `build` without --shard. Each shard builds exactly its publications up to their loaded periods and never a
 * table's Parquet or the catalog; the final build loads and downloads nothing and writes Parquet equal, row for row,
 * to a single full build's.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import type { TestServer } from '../rig/http-server.ts';
import { ran, runCli, startCli } from './cli-rig.ts';
import { checkout, cloneOf, csvOf, eventsOf, parquetTables, PERIODS, publishingServer, PUBS, ranKeys, type Pub } from './shard-rig.ts';

const CODES = Object.keys(PUBS) as Pub[];

describe.each(testBackends())('shards on %s', (backend) => {
  let server: TestServer;
  let root: string;
  let ref: TestDb;
  let shared: TestDb;
  let a: string;
  let b: string;
  let shares: string[][];

  beforeAll(async () => {
    server = await publishingServer();
    root = await mkdtemp(join(tmpdir(), `shard-${backend}-`));
    a = await checkout(join(root, 'a'), server);
    // On PostgreSQL a second machine is a second clone; the embedded database lives in one folder.
    b = backend === 'postgres' ? await cloneOf(a, join(root, 'b')) : a;
    await cloneOf(a, join(root, 'ref'));
    ref = await makeTestDb(backend, join(root, 'ref'));
    shared = await makeTestDb(backend, a);
  });
  afterAll(async () => {
    await ref?.cleanup();
    await shared?.cleanup();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('three shards build disjoint shares covering every publication; the final build writes what one full build writes', async () => {
    const full = await runCli(['build', '-C', join(root, 'ref'), '--json'], { DATABASE_URL: ref.databaseUrl });
    expect(full.code, full.stderr).toBe(0);

    const env = { DATABASE_URL: shared.databaseUrl };
    const shards = [
      startCli(['build', '-C', a, '--json', '--shard', '1/3'], env),
      startCli(['build', '-C', b, '--json', '--shard', '2/3'], env),
      startCli(['build', '-C', a, '--json', '--shard', '3/3'], env),
    ];
    const codes = await Promise.all(shards.map((s) => s.code));
    shards.forEach((s, i) => expect(codes[i], s.stderr()).toBe(0));
    const runs = shards.map((s) => eventsOf(s.stdout()));

    // Every publication in exactly one shard, no shard empty.
    shares = runs.map((events) => (events.find((e) => e.event === 'shard') as { publications: string[] }).publications);
    expect(shares.flat().sort()).toEqual([...CODES].sort());
    for (const s of shares) expect(s.length).toBeGreaterThan(0);
    // Each shard built its share's period chains, down to loaded, and nothing else: no Parquet, no catalog.
    runs.forEach((events, i) => {
      const expected = shares[i].flatMap((pub) => PERIODS.flatMap((p) => ['download', 'draft', 'enriched', 'canonical', 'loaded'].map((s) => `${s}:${pub}/${p}`))).sort();
      expect(ranKeys(events)).toEqual(expected);
    });
    for (const ws of new Set([a, b])) expect(await readdir(join(ws, 'output')).catch(() => [])).toEqual([]);

    // The final step sees what the shards made (CI: each shard's manifests/ as an artifact, downloaded into one
    // checkout): it loads nothing and asks the server for nothing; it writes every table's Parquet and the catalog.
    if (b !== a) await cp(join(b, 'manifests'), join(a, 'manifests'), { recursive: true });
    const asked = server.requests.length;
    const final = await runCli(['build', '-C', a, '--json'], env);
    expect(final.code, final.stderr).toBe(0);
    expect(ran(final).filter((k) => !k.startsWith('parquet:') && k !== 'catalog:all')).toEqual([]);
    expect(ran(final)).toContain('catalog:all');
    expect(server.requests.length).toBe(asked);

    const mine = await parquetTables(a);
    const theirs = await parquetTables(join(root, 'ref'));
    expect(Object.keys(mine)).toEqual(Object.keys(theirs));
    expect(Object.keys(mine)).toHaveLength(CODES.length);
    expect(mine).toEqual(theirs);
    const published = CODES.reduce((n, pub) => n + PERIODS.reduce((m, p) => m + csvOf(pub, p).rows, 0), 0);
    expect(Object.values(mine).reduce((n, rows) => n + rows.length, 0)).toBe(published);
  });

  it('a folder keeps its split for the round; a fresh clone with manifests balances by the rows they recorded', async () => {
    const env = { DATABASE_URL: shared.databaseUrl };
    // Shards of this folder wrote manifests since it split: a rerun of a shard keeps the same share.
    const again = await runCli(['build', '-C', a, '--json', '--shard', '3/3'], env);
    expect((again.events.find((e) => e.event === 'shard') as { publications: string[] }).publications).toEqual(shares[2]);
    expect(ran(again)).toEqual([]);

    const c = await cloneOf(a, join(root, 'c'));
    const runs = await Promise.all(['1/2', '2/2'].map((s) => runCli(['build', '-C', c, '--json', '--shard', s], env)));
    const plans = runs.map((r) => r.events.find((e) => e.event === 'shard') as { publications: string[]; cost: number; basis: string });
    for (const p of plans) expect(p.basis).toMatch(/rows recorded/);
    // Costs are the rows of both periods (7, 11, 17, 27, 43), placed largest first on the lighter shard:
    // epsilon 43 | delta 27, gamma 17 (44) | beta 11 (54) | alpha 7 (51). By count alone it would be 3 against 2.
    expect(plans.map((p) => p.publications.sort())).toEqual([['beta', 'epsilon'], ['alpha', 'delta', 'gamma']]);
    expect(plans.map((p) => p.cost)).toEqual([54, 51]);
    // Sharing the server's database, the clone finds everything built (an embedded database is the folder's own).
    if (backend === 'postgres') for (const r of runs) expect(ran(r)).toEqual([]);
  });
});

it('a malformed --shard is a usage error (exit 2) before anything is opened', async () => {
  const res = await runCli(['build', '-C', join(tmpdir(), 'no-such-workspace'), '--shard', '4/3']);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/--shard expects i\/n with 1 ≤ i ≤ n.*got "4\/3"/);
});
