/**
 * The proof that there is nothing to do (rules/noop-proof.ts): a build of a selection that found everything up
 * to date lets the next one answer by `stat` alone, reporting exactly what the engine would; the smallest change
 * to anything the decision read (a manifest edited in place with its size and mtime restored, a local file, the
 * config, the database) sends the build back to the engine.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, ran, readParquet, runCli } from './cli-rig.ts';

describe.each(testBackends())('the proof that nothing is to do (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const build = (...args: string[]) => runCli(['build', '-C', ws, '--json', ...args], env);
  const proofs = async () => (await readdir(join(ws, '.cache/noop-proof'))).filter((n) => n.endsWith('.json')).length;
  const upToDate = (events: Record<string, unknown>[]) => events.filter((e) => e.event === 'target-end' && e.outcome === 'up-to-date').map((e) => e.key).sort();

  beforeAll(async () => {
    ws = await oapsWorkspace(`proof-${backend}-`);
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    expect((await build()).code).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('a no-op records a proof; the next one replays exactly the same targets, up to date', async () => {
    const engine = await build();
    expect(ran(engine)).toEqual([]);
    expect(await proofs()).toBe(1);
    const before = (await stat(join(ws, '.cache/build-log.json'))).mtimeMs;
    const proven = await build();
    expect(proven.code).toBe(0);
    expect(upToDate(proven.events)).toEqual(upToDate(engine.events));
    expect(proven.events.at(-1)).toMatchObject({ event: 'summary', ran: 0, upToDate: upToDate(engine.events).length });
    expect((await stat(join(ws, '.cache/build-log.json'))).mtimeMs).toBe(before); // answered without the build log
  });

  it('a manifest edited in place, its size and mtime restored, is not vouched for', async () => {
    const path = join(ws, 'manifests/draft/oaps/2016-10.yaml');
    const text = await readFile(path, 'utf8');
    execFileSync('cp', ['-p', path, join(ws, 'ref')]);
    await new Promise((r) => setTimeout(r, 30));
    await writeFile(path, text.replace(/row_count: (\d)/, (_, d) => `row_count: ${(Number(d) + 1) % 10}`));
    execFileSync('touch', ['-r', join(ws, 'ref'), path]);
    expect(ran(await build())).toEqual(['draft:oaps/2016-10']);
    expect(ran(await build())).toEqual([]);
  });

  it('a changed database is not vouched for', async () => {
    expect(ran(await build())).toEqual([]); // proven
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    await d.exec(`DELETE FROM staging.oaps_open_data WHERE _period = '2016-12' AND _source_row < 5`);
    await d.close();
    expect(ran(await build())).toEqual(['loaded:oaps/2016-12']);
  });

  it('an archive record that appears (a period archived elsewhere) is not vouched for: the period is left alone', async () => {
    expect(ran(await build())).toEqual([]); // proven: no period was ever archived, so no record file was looked at
    const record = join(ws, 'manifests/archive/oaps/2016-10.json');
    await mkdir(dirname(record), { recursive: true });
    await writeFile(record, JSON.stringify({
      format: 'nhs-pipeline/archive-record@1', publication: 'oaps', period: '2016-10', remote: 's3://elsewhere/x',
      manifest: { key: 'x/manifest.json', sha256: '0'.repeat(64) }, archived_at: '2026-12-01T00:00:00.000Z',
      loaded_output: '0'.repeat(64), sources: false, objects: 1, bytes: 1, removed: { at: '2026-12-01T00:00:00.000Z', rows: 0, files: 0 },
    }));
    const run = await build();
    expect(run.events.find((e) => e.event === 'archived')).toMatchObject({ periods: ['oaps/2016-10'] });
    await rm(join(ws, 'manifests/archive'), { recursive: true });
    const after = await build();
    expect(after.events.find((e) => e.event === 'archived')).toBeUndefined();
    expect(ran(after)).toEqual([]);
  });

  it('another selection, a dry run, or --refresh has its own proof (or none)', async () => {
    expect(ran(await build('oaps/2016-10'))).toEqual([]);
    expect(ran(await build('oaps/2016-10'))).toEqual([]);
    const plan = await runCli(['build', '-n', '-C', ws], env);
    expect(plan.stdout).toContain('Nothing to do');
    expect(await proofs()).toBeGreaterThanOrEqual(2);
    // --refresh asks again whatever a proof says; local files read again to the same bytes are said to be unchanged.
    const refreshed = await build('--refresh');
    expect(ran(refreshed)).toEqual(['download:oaps/2016-10', 'download:oaps/2016-12']);
    expect(refreshed.events.at(-1)).toMatchObject({ event: 'summary', ran: 2, unchanged: 2 });
    const plain = await runCli(['build', '-C', ws, '--refresh'], env);
    expect(plain.stdout).toMatch(/built 2 \(all with their output unchanged\), up to date \d+/);
    expect(plain.stdout).not.toContain('asking the server');
  });
});

/**
 * The proof as a deps log: when only files read on behalf of particular targets changed (one period's source
 * file), the targets none of that can reach are proven up to date and the engine decides the rest; the outcome
 * must be what deciding everything gives.
 */
describe.each(testBackends())('the deps log: one changed source file (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const build = (...args: string[]) => runCli(['build', '-C', ws, '--json', ...args], env);
  const samples = join(import.meta.dirname, '../fixtures/nhs-samples');
  const dec = () => join(ws, 'data/oaps-dec.csv');

  beforeAll(async () => {
    ws = await oapsWorkspace(`deps-${backend}-`);
    await mkdir(join(ws, 'data'));
    await copyFile(join(samples, 'out-of-area-placements/oaps-open-data-oct-2016.csv'), join(ws, 'data/oaps-oct.csv'));
    await copyFile(join(samples, 'out-of-area-placements/oaps-open-data-dec-2016.csv'), dec());
    await copyFile(join(samples, 'pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv'), join(ws, 'data/pcn-2020-03.csv'));
    await writeFile(
      join(ws, 'config/publications.yaml'),
      ['publications:', '  oaps:', '    name: OAPs', '    periods:',
        '      - period: 2016-10\n        url: ../data/oaps-oct.csv',
        '      - period: 2016-12\n        url: ../data/oaps-dec.csv',
        '  pcn:', '    name: PCN workforce', '    periods:',
        '      - period: 2020-03\n        url: ../data/pcn-2020-03.csv'].join('\n') + '\n',
    );
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    expect((await build()).code).toBe(0);
    expect(ran(await build())).toEqual([]); // decided by the engine: the proof is kept
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('proves the other publication up to date, rebuilds the changed period through the catalog, and the next build has nothing to do', async () => {
    const text = await readFile(dec(), 'utf8');
    const lines = text.trimEnd().split(/\r?\n/);
    await writeFile(dec(), `${text.trimEnd()}\r\n${lines.at(-1)}\r\n`); // one more row (the file's line ends are CRLF)
    const run = await build();
    expect(run.events.filter((e) => e.outcome === 'failed' || e.outcome === 'skipped')).toEqual([]);
    expect(run.code).toBe(0);
    const proof = run.events.find((e) => e.event === 'proof');
    expect(proof).toMatchObject({ changed: ['data/oaps-dec.csv'] });
    // Everything of `pcn` (and nothing of `oaps`, whose loads the change may touch) was proven without being decided.
    const keys = run.events.filter((e) => e.event === 'target-end').map((e) => String(e.key));
    const pcnKeys = keys.filter((k) => /^[a-z]+:pcn\//.test(k));
    expect(pcnKeys.length).toBeGreaterThanOrEqual(6);
    expect(proof!.proven).toBe(pcnKeys.length);
    expect(ran(run)).toEqual(expect.arrayContaining(['download:oaps/2016-12', 'loaded:oaps/2016-12', 'parquet:oaps/oaps', 'catalog:all']));
    expect(ran(run).filter((k) => k.includes('pcn'))).toEqual([]);
    // What deciding everything says afterwards: nothing to do, with or without the proof, over the same targets
    // (the proven publication's tables were named by the proof, not read from its manifests).
    expect(ran(await build())).toEqual([]);
    await rm(join(ws, '.cache'), { recursive: true, force: true });
    const full = await build();
    expect(ran(full)).toEqual([]);
    expect(full.events.filter((e) => e.event === 'target-end').map((e) => String(e.key)).sort()).toEqual([...keys].sort());
    const { rows } = await readParquet(join(ws, 'output/parquet/oaps.parquet'), ['_period']);
    expect(rows.filter((r) => r._period === '2016-12').length).toBe(lines.length); // the header out, the copy in
  });

  it('a build that ran keeps a proof too: a change right after it is decided as narrowly, and a no-op after it answers from the proof', async () => {
    const oneMoreRow = async () => {
      const text = (await readFile(dec(), 'utf8')).trimEnd();
      await writeFile(dec(), `${text}\r\n${text.split(/\r?\n/).at(-1)}\r\n`);
    };
    await oneMoreRow();
    expect(ran(await build())).toEqual(expect.arrayContaining(['loaded:oaps/2016-12', 'catalog:all']));
    await oneMoreRow(); // no build with nothing to do in between
    const second = await build();
    expect(second.events.find((e) => e.event === 'proof')).toMatchObject({ changed: ['data/oaps-dec.csv'] });
    expect(ran(second)).toEqual(expect.arrayContaining(['loaded:oaps/2016-12', 'parquet:oaps/oaps', 'catalog:all']));
    expect(ran(second).filter((k) => k.includes('pcn'))).toEqual([]);
    const log = (await stat(join(ws, '.cache/build-log.json'))).mtimeMs;
    const noop = await build();
    expect(ran(noop)).toEqual([]);
    expect(noop.events.find((e) => e.event === 'proof')).toBeUndefined(); // every file as the proof has it: nothing decided
    expect((await stat(join(ws, '.cache/build-log.json'))).mtimeMs).toBe(log);
    // And deciding everything from scratch agrees.
    await rm(join(ws, '.cache'), { recursive: true, force: true });
    expect(ran(await build())).toEqual([]);
  });

  it('a proof kept after a partial decision still vouches for what it did not decide again: a later change there is seen', async () => {
    expect(ran(await build())).toEqual([]);
    // Touched, same bytes: only pcn's chain is decided again, nothing runs, and a new proof is kept.
    const pcn = join(ws, 'data/pcn-2020-03.csv');
    const later = new Date(Date.now() + 1000);
    await utimes(pcn, later, later);
    await new Promise((r) => setTimeout(r, 1100));
    const touched = await build();
    expect(touched.events.find((e) => e.event === 'proof')).toMatchObject({ changed: ['data/pcn-2020-03.csv'] });
    expect(ran(touched)).toEqual([]);
    // oaps was proven, not read, by that build: the new proof must still hold its files (carried over).
    await writeFile(dec(), `${(await readFile(dec(), 'utf8')).trimEnd()}\r\n${(await readFile(dec(), 'utf8')).trimEnd().split(/\r?\n/).at(-1)}\r\n`);
    expect(ran(await build())).toEqual(expect.arrayContaining(['download:oaps/2016-12', 'loaded:oaps/2016-12']));
  });

  it('a change to the config (read on behalf of everything) decides everything', async () => {
    expect(ran(await build())).toEqual([]);
    await writeFile(join(ws, 'config/publications.yaml'), (await readFile(join(ws, 'config/publications.yaml'), 'utf8')) + '# a comment\n');
    const run = await build();
    expect(run.events.find((e) => e.event === 'proof')).toBeUndefined();
    expect(ran(run)).toEqual([]);
  });
});
