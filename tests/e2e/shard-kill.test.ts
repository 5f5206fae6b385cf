/**
 * A machine dies mid-backfill (issue 16): two worker CLI processes in separate clones of one checkout, one
 * PostgreSQL database, one S3-compatible remote (s3rver). One worker is killed with SIGKILL once it has loaded a
 * period; the other completes its shard; the dead shard, rerun on a fresh clone (as a retried CI job is), finishes
 * it; the final `build` on another fresh clone then leaves what a single-machine build of the same checkout leaves
 * in a database of its own, compared with the chaos campaign's digest (manifests, Parquet, staging and registry
 * tables). No target is built twice across the machines, but the ones the dead worker was in the middle of.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestWorkspace, verdict } from '../../bench/chaos/digest.ts';
import { S3_ENV, startS3, type S3TestServer } from '../archive/s3-server.ts';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { runCli, startCli, type CliRun } from './cli-rig.ts';
import { cloneOf } from './shard-rig.ts';

// Six publications of four monthly periods: a shard has a dozen periods, so a worker killed after its first load
// is still far from done (it runs with -j 1, and every file is served after a short delay).
const PUBS = ['north', 'south', 'east', 'west', 'central', 'coast'];
const PERIODS = ['2024-01', '2024-02', '2024-03', '2024-04'];
const ALL = PUBS.flatMap((pub) => PERIODS.map((p) => `${pub}/${p}`)).sort();
const rowsOf = (pub: string, period: string) => 3 + PUBS.indexOf(pub) + PERIODS.indexOf(period);

type Event = Record<string, unknown>;
/** The JSON lines a process finished writing (a killed one may leave half a line). */
const eventsOf = (stdout: string): Event[] => stdout.split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l) as Event);
const ends = (events: Event[]) => events.filter((e) => e.event === 'target-end');
/** Targets built by this process: ran, and not fetched from the remote. */
const builtBy = (events: Event[]) => ends(events).filter((e) => e.outcome === 'ran' && !(e.stats as Record<string, number> | undefined)?.fetchedFromRemote).map((e) => String(e.key));
const shareOf = (events: Event[]) => (events.find((e) => e.event === 'shard') as { publications: string[] }).publications;

describe.skipIf(!process.env.DATABASE_URL)('a worker killed mid-build, on PostgreSQL with a remote', () => {
  let server: TestServer;
  let s3: S3TestServer;
  let root: string;
  let shared: TestDb;
  let single: TestDb;
  const remote = () => `s3://${s3.bucket}/kill`;

  beforeAll(async () => {
    server = await startTestServer();
    const config = ['publications:'];
    for (const pub of PUBS) {
      config.push(`  ${pub}:`, `    name: ${pub} activity`, '    periods:');
      for (const period of PERIODS) {
        const lines = ['Provider,Measure,Count'];
        for (let i = 0; i < rowsOf(pub, period); i++) lines.push(`P${i},${pub} ${period} measure ${i},${(i + 1) * 11}`);
        server.set(`/files/${pub}-${period}.csv`, { body: lines.join('\n') + '\n', headers: { 'content-type': 'text/csv' }, delayMs: 100 });
        config.push(`      - period: ${period}`, `        url: ${server.url}/files/${pub}-${period}.csv`);
      }
    }
    s3 = await startS3();
    root = await mkdtemp(join(tmpdir(), 'shard-kill-'));
    const origin = join(root, 'origin');
    await mkdir(join(origin, 'config'), { recursive: true });
    await mkdir(join(origin, 'manifests'), { recursive: true });
    await writeFile(join(origin, 'config/publications.yaml'), config.join('\n') + '\n');
    await writeFile(join(origin, 'manifests/.workspace-id'), 'shard-kill-workspace\n');
    shared = await makeTestDb('postgres', join(root, 'shared'));
    single = await makeTestDb('postgres', join(root, 'single'));
  });
  afterAll(async () => {
    await shared?.cleanup();
    await single?.cleanup();
    await s3?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the other worker completes its shard, a rerun finishes the dead one, and the result is a single build\'s', async () => {
    const clone = (name: string) => cloneOf(join(root, 'origin'), join(root, name));
    const env = { DATABASE_URL: shared.databaseUrl, AWS_ENDPOINT_URL: s3.endpoint, ...S3_ENV };
    const shard = (ws: string, s: string, extra: string[] = []) => ['build', '-C', ws, '--json', '--shard', s, '--remote', remote(), ...extra];

    // Two machines start their shards; the first is killed once it has loaded at least one period.
    const [a, b] = await Promise.all([clone('a'), clone('b')]);
    const dying = startCli(shard(a, '1/2', ['-j', '1']), env);
    const other = startCli(shard(b, '2/2'), env);
    const loadedBy = (events: Event[]) => builtBy(events).filter((k) => k.startsWith('loaded:'));
    await dying.until(/yes/, () => (loadedBy(eventsOf(dying.stdout())).length > 0 ? 'yes' : ''));
    dying.kill('SIGKILL');
    await dying.code;
    const otherCode = await other.code;
    expect(otherCode, other.stderr()).toBe(0);

    const dead = eventsOf(dying.stdout());
    const share = shareOf(dead);
    // It was killed mid-build: it loaded some of its periods, not all, and never said it had finished.
    expect(loadedBy(dead).length).toBeGreaterThan(0);
    expect(loadedBy(dead).length).toBeLessThan(share.length * PERIODS.length);
    expect(dead.some((e) => e.event === 'summary')).toBe(false);
    const interrupted = dead.filter((e) => e.event === 'target-start' && !ends(dead).some((x) => x.key === e.key)).map((e) => String(e.key));
    // The other worker built its whole share, down to loaded, and none of the dead one's.
    const survivor = eventsOf(other.stdout());
    expect([...share, ...shareOf(survivor)].sort()).toEqual([...PUBS].sort());
    expect(loadedBy(survivor).sort()).toEqual(shareOf(survivor).flatMap((pub) => PERIODS.map((p) => `loaded:${pub}/${p}`)).sort());
    const admin = new pg.Client({ connectionString: shared.databaseUrl });
    await admin.connect();
    const registry = async () => (await admin.query<{ id: string; at: Date }>(`SELECT publication || '/' || period AS id, loaded_at AS at FROM datawarp.periods ORDER BY 1`)).rows;
    try {
      const before = await registry();
      // Periods recorded but never reported: the dead worker committed them and died before saying so.
      const unsaid = before.map((r) => `loaded:${r.id}`).filter((k) => ![...loadedBy(dead), ...loadedBy(survivor)].includes(k));
      expect(unsaid.filter((k) => !interrupted.includes(k))).toEqual([]);

      // The dead shard again, on a fresh clone (a retried CI job gets a new machine): the same share, finished.
      const rerun = await runCli(shard(await clone('rerun'), '1/2'), env);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(shareOf(rerun.events)).toEqual(share);
      // The final step on another fresh clone: it builds only what is written from the database.
      const final = await runCli(['build', '-C', await clone('final'), '--json', '--remote', remote()], env);
      expect(final.code, final.stderr).toBe(0);
      expect(builtBy(final.events).filter((k) => !k.startsWith('parquet:') && k !== 'catalog:all')).toEqual([]);
      expect(builtBy(final.events)).toContain('catalog:all');

      // No target built twice across the machines (their events), but what the dead worker was in the middle of.
      const builds = [dead, survivor, rerun.events, final.events].flatMap(builtBy);
      const twice = [...new Set(builds.filter((k, i) => builds.indexOf(k) !== i))];
      expect(twice.filter((k) => !interrupted.includes(k))).toEqual([]);
      // Every period loaded exactly once (its registry row, and when it was written, unchanged since).
      expect([...builds.filter((k) => k.startsWith('loaded:')), ...unsaid].sort()).toEqual(ALL.map((id) => `loaded:${id}`));
      const after = await registry();
      expect(after.map((r) => r.id)).toEqual(ALL);
      for (const r of before) expect(after.find((x) => x.id === r.id)?.at).toEqual(r.at);
      // The remote got each manifest once.
      const puts = s3.requests.filter((r) => r.method === 'PUT' && r.key.startsWith('kill/cache/')).map((r) => r.key);
      expect(puts.length).toBe(new Set(puts).size);
    } finally {
      await admin.end();
    }

    // The same checkout built on one machine, in a database of its own: the same manifests, Parquet and tables.
    const alone: CliRun = await runCli(['build', '-C', await clone('alone'), '--json'], { DATABASE_URL: single.databaseUrl });
    expect(alone.code, alone.stderr).toBe(0);
    const expected = await digestWorkspace({ root: join(root, 'alone'), databaseUrl: single.databaseUrl });
    const actual = await digestWorkspace({ root: join(root, 'final'), databaseUrl: shared.databaseUrl });
    expect(Object.keys(actual.parquet).filter((f) => f.startsWith('output/parquet/'))).toHaveLength(PUBS.length);
    expect(verdict(expected, actual)).toEqual({ kind: 'same', diffs: [] });
  }, 240_000);
});
