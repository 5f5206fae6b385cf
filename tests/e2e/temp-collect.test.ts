/**
 * Temporary files left by a build killed with SIGKILL are collected by the next build (issue 14, hole 9), in
 * every store it writes, once it finds the dead build's lock; without such a lock a build looks only in the
 * flat folders where readers leave them, so a no-op build stays a no-op. Files of a live process are kept.
 * (tests/chaos.test.ts kills real builds and checks that no temporary file survives the rebuild.)
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, runCli } from './cli-rig.ts';

/** Above Linux's largest possible pid (2^22), so no process has it. */
const DEAD = 999_999_999;
/** The test runner's parent: alive for as long as this test runs. */
const LIVE = process.ppid;

let ws: string;
let db: TestDb;
beforeAll(async () => {
  ws = await oapsWorkspace('temp-collect-');
  db = await makeTestDb('pglite', ws);
  const built = await runCli(['build', '-C', ws]);
  expect(built.code, built.stdout).toBe(0);
}, 120_000);
afterAll(async () => {
  await db?.cleanup();
  if (ws) await rm(ws, { recursive: true, force: true });
});

/** What a writer killed mid-build leaves, in every store it writes. */
const LEFT_BY_DEAD = [
  `manifests/download/oaps/2016-10.yaml.tmp-${DEAD}-0a1b2c3d4e5f`,
  `manifests/failures/draft/oaps/2016-10.json.tmp-${DEAD}-0a1b2c3d4e5f`,
  `output/parquet/oaps_open_data.parquet.tmp-${DEAD}-0a1b2c3d4e5f`,
  `output/metadata/oaps_open_data.md.tmp-${DEAD}-0a1b2c3d4e5f`,
  `output/catalog.parquet.tmp-${DEAD}-0a1b2c3d4e5f`,
  `downloads/download.tmp-${DEAD}-0a1b2c3d4e5f`,
  `downloads/index.json.tmp-${DEAD}-0a1b2c3d4e5f`,
  `.cache/tmp/oaps_open_data.csv.tmp-${DEAD}-0a1b2c3d4e5f`,
  `.cache/build-log.json.tmp-${DEAD}-0a1b2c3d4e5f`,
  `.cache/build.lock.stale-${DEAD}-0a1b2c3d`,
];
const OF_LIVE = [`output/parquet/oaps_open_data.parquet.tmp-${LIVE}-0a1b2c3d4e5f`, `.cache/tmp/x.csv.tmp-${LIVE}-0a1b2c3d4e5f`];

async function plant(paths: string[]): Promise<void> {
  for (const p of paths) {
    await mkdir(join(ws, p, '..'), { recursive: true });
    await writeFile(join(ws, p), 'half-written');
  }
}

async function temps(): Promise<string[]> {
  const all = await readdir(ws, { recursive: true });
  return all.filter((f) => /\.tmp-|\.stale-/.test(f) && !f.startsWith('.pglite')).sort();
}

describe('temporary files of killed builds', () => {
  it('after a clean exit, a build looks only in .cache and .cache/tmp, where readers leave theirs (no walk of the stores)', async () => {
    await plant([...LEFT_BY_DEAD, ...OF_LIVE]);
    const res = await runCli(['build', '-C', ws]);
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toContain('Nothing to do');
    expect(await temps()).toEqual(
      [...OF_LIVE, ...LEFT_BY_DEAD.filter((p) => !p.startsWith('.cache/'))].sort(),
    );
    expect(res.stderr).toMatch(/^Removed 3 temporary files left by runs that did not finish: /m);
  });

  it('a build that finds a dead build\'s lock removes what it left in every store, and keeps a live writer\'s files', async () => {
    await plant(LEFT_BY_DEAD);
    await writeFile(join(ws, '.cache/build.lock'), JSON.stringify({ pid: DEAD, since: '2026-01-01T00:00:00.000Z', command: 'build' }));
    const res = await runCli(['build', '-C', ws]);
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toContain('Nothing to do');
    expect(res.stderr).toContain(`Removed ${LEFT_BY_DEAD.length} temporary files left by a build that did not finish (pid ${DEAD}): `);
    expect(await temps()).toEqual([...OF_LIVE].sort());
  });
});
