/**
 * A command loads only what it uses: `--help` nothing of the pipeline; `status`, `explain`, `build -n` and a
 * build with nothing to do no spreadsheet reader, no Parquet writer, no database driver (the embedded database
 * is not even opened), and not the YAML parser (the build log holds what the config and the manifests said).
 * Each command runs as a real process with a module-resolution hook recording every module it loads.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { oapsWorkspace } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const HEAVY = ['@e965/xlsx', 'papaparse', '@duckdb', '@electric-sql/pglite', '/node_modules/pg/', 'pg-copy-streams', 'listr2', '/node_modules/yaml/', 'chokidar'];

describe('what each command loads', () => {
  let ws: string;
  let db: TestDb;
  /** The packages from HEAVY that `args` loads, and its exit code. */
  const loads = async (args: string[]): Promise<{ code: number | null; heavy: string[]; ours: string[] }> => {
    const record = join(ws, `imports-${args.join('_').replace(/[^\w]/g, '')}.txt`);
    await rm(record, { force: true }); // the hook appends: a command run again starts a new list
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'tests/rig/record-imports.mjs'), join(ROOT, 'pipeline.ts'), ...args], {
      env: { ...process.env, CI: 'true', DATABASE_URL: '', NHS_RECORD_IMPORTS: record },
      encoding: 'utf8',
    });
    const urls = [...new Set((await readFile(record, 'utf8').catch(() => '')).split('\n').filter(Boolean))];
    return { code: res.status, heavy: HEAVY.filter((h) => urls.some((u) => u.includes(h))), ours: urls.filter((u) => u.startsWith(`file://${ROOT}/`) && !u.includes('/node_modules/')) };
  };

  beforeAll(async () => {
    ws = await oapsWorkspace('lazy-');
    db = await makeTestDb('pglite', ws);
    const first = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'pipeline.ts'), 'build', '-C', ws], { env: { ...process.env, CI: 'true', DATABASE_URL: '' }, encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('--help loads nothing of the pipeline', async () => {
    const r = await loads(['--help']);
    expect(r.code).toBe(0);
    expect(r.heavy).toEqual([]);
    // lib/exit-cleanup.ts (node:fs only) is the exit hook pipeline.ts installs before anything runs; lib/stall-watch.ts
    // (node:worker_threads only) is the heartbeat's thread it passes in, started only once a build runs something.
    expect(r.ours.filter((x) => /\/(rules|lib|engine)\//.test(x)).sort()).toEqual([u('lib/config/diagnostics.ts'), u('lib/exit-cleanup.ts'), u('lib/failure.ts'), u('lib/stall-watch.ts')]);
  });

  for (const args of [['build'], ['build', '-n'], ['status'], ['explain', 'oaps/2016-10:loaded']]) {
    it(`${args.join(' ')} with nothing to do loads no reader, writer, database driver or YAML parser`, async () => {
      const r = await loads([...args, '-C', ws]);
      expect(r.code).toBe(0);
      expect(r.heavy).toEqual([]);
    });
  }

  it('a build the no-op proof vouches for loads neither the stages, nor the engine, nor the config reader', async () => {
    await loads(['build', '-C', ws]); // records the proof, if `build` above did not
    const r = await loads(['build', '-C', ws]);
    expect(r.code).toBe(0);
    const rel = r.ours.map((x) => x.slice(`file://${ROOT}/`.length));
    expect(rel).toContain('rules/noop-proof.ts');
    expect(rel.filter((x) => /^rules\/(stages|stores\/(manifest|registry)|workspace|pipeline|config|build)\b|^engine\/(index|build|session|decide)\.ts|^lib\/(llm\/(?!settings)|sheets|db|config\/(?!diagnostics)|naming)/.test(x))).toEqual([]);
    // Nor what only sharding, opening the workspace or watching local files needs.
    expect(rel.filter((x) => /^(rules|lib)\/shard\.ts$|^lib\/web\//.test(x))).toEqual([]);
  });

  it('a build that has work to do does load what the work needs (the check can fail)', async () => {
    await rm(join(ws, 'output/parquet/oaps_open_data.parquet'));
    const r = await loads(['build', '-C', ws]);
    expect(r.code).toBe(0);
    expect(r.heavy).toEqual(expect.arrayContaining(['@duckdb', '@electric-sql/pglite']));
  });
});

const u = (path: string) => `file://${ROOT}/${path}`;
