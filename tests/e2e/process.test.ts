/**
 * The CLI as a real process: Ctrl-C mid-build, two builds in one workspace, help, usage errors.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../lib/lock.ts';
import { openDb } from '../../lib/db/index.ts';
import { readLoads } from '../../lib/db/registry.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { ran, runCli, startCli } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const OAPS = join(ROOT, 'tests/fixtures/nhs-samples/out-of-area-placements');

async function until(cond: () => boolean, ms = 60_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.tmp-/.test(e.name) && !e.parentPath.includes('.pglite')) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe.each(testBackends())('the CLI as a process (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `proc-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'), { recursive: true });
    await mkdir(join(ws, 'files'));
    for (const m of ['oct-2016', 'dec-2016', 'feb-2017']) await cp(join(OAPS, `oaps-open-data-${m}.csv`), join(ws, 'files', `oaps-open-data-${m}.csv`));
    await writeFile(
      join(ws, 'config/publications.yaml'),
      `publications:\n  oaps:\n    name: Out of Area Placements\n    periods:\n${['2016-10:oct-2016', '2016-12:dec-2016', '2017-02:feb-2017']
        .map((x) => `      - period: ${x.split(':')[0]}\n        url: ../files/oaps-open-data-${x.split(':')[1]}.csv`)
        .join('\n')}\n`,
    );
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('Ctrl-C during a load exits 130, leaves no temp file and no half-loaded slice; the next build completes', async () => {
    const p = startCli(['build', '-C', ws, '--json', '-j', '1'], env);
    await until(() => /"event":"target-start","key":"loaded:/.test(p.stdout()));
    p.kill('SIGINT');
    expect(await p.code).toBe(130);
    expect(p.stderr()).toContain('Interrupted');
    expect(await tempFiles(ws)).toEqual([]);
    // Whatever the registry says was loaded is exactly what the staging table holds.
    const d = await openDb({ workspace: ws, databaseUrl: db.databaseUrl });
    try {
      for (const l of await readLoads(d)) {
        const [{ n }] = await d.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging."${l.table}" WHERE _period = $1 AND _slice = $2`, [l.period, l.sliceId]);
        expect(n).toBe(l.rowCount);
      }
    } finally {
      await d.close();
    }
    const again = await runCli(['build', '-C', ws, '--json'], env);
    expect(again.code).toBe(0);
    expect(ran(again)).toContain('parquet:oaps/oaps_open_data');
  });

  it('a second build in the same workspace waits for the first to finish before it starts anything', async () => {
    const original = await readFile(join(OAPS, 'oaps-open-data-oct-2016.csv'), 'utf8');
    const i = original.lastIndexOf('"*"');
    await writeFile(join(ws, 'files/oaps-open-data-oct-2016.csv'), `${original.slice(0, i)}"1"${original.slice(i + 3)}`);
    // This test process plays the first build: it holds the workspace lock while the real CLI starts.
    const held = await acquireLock(join(ws, '.cache/build.lock'), { pid: process.pid, since: new Date().toISOString(), command: 'build' }, {
      signal: new AbortController().signal,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    const second = startCli(['build', '-C', ws, '--json'], env);
    await until(() => /Waiting for another build in this workspace \(pid \d+/.test(second.stderr()));
    await new Promise((r) => setTimeout(r, 500));
    expect(second.stdout()).toBe(''); // nothing started while the lock is held
    await held.release();
    expect(await second.code).toBe(0);
    expect(second.stdout()).toContain('"key":"loaded:oaps/2016-10"');
  });

  it('status, explain and build -n answer while a build holds the workspace and its database, and say so', async () => {
    // This test process plays a running build: it holds the workspace lock and, with the embedded database, the database.
    const me = { pid: process.pid, since: new Date().toISOString(), command: 'build' };
    const opts = { signal: new AbortController().signal, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    const held = [await acquireLock(join(ws, '.cache/build.lock'), me, opts), await acquireLock(join(ws, '.cache/db.lock'), me, opts)];
    try {
      // Real processes: the lock knows this test process as the holder, the CLI as someone else.
      const status = startCli(['status', '-C', ws], env);
      expect(await status.code).toBe(0);
      expect(status.stdout()).toContain(`a build is in progress in this workspace (pid ${process.pid}`);
      expect(status.stdout(), status.stderr()).toContain('3/3 periods built');
      expect(status.stderr()).not.toContain('Waiting');
      const plan = startCli(['build', '-n', '-C', ws], env);
      expect(await plan.code).toBe(0);
      expect(plan.stdout()).toContain('Nothing to do');
      expect(plan.stderr()).toContain('a build is in progress');
      const why = startCli(['explain', 'oaps/2016-10:loaded', '-C', ws], env);
      expect(await why.code).toBe(0);
      expect(why.stdout()).toContain('loaded oaps/2016-10: up to date');
    } finally {
      for (const l of held) await l.release();
    }
  });
});

describe('help and usage', () => {
  it('--help on every command; unknown commands and options exit 2 with a hint', async () => {
    for (const cmd of [[], ['build'], ['status'], ['explain'], ['watch'], ['clean']]) {
      const res = await runCli([...cmd, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Usage: npx tsx pipeline.ts/);
    }
    const typo = await runCli(['biuld']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown command "biuld"');
    const badOpt = await runCli(['build', '--frobnicate']);
    expect(badOpt.code).toBe(2);
    expect(badOpt.stderr).toContain("Unknown option '--frobnicate'");
    const typoOpt = await runCli(['build', '--retry-faild']);
    expect(typoOpt.code).toBe(2);
    expect(typoOpt.stderr).toBe("error: Unknown option '--retry-faild'\n  hint: did you mean \"--retry-failed\"? run `pipeline.ts build --help` for options\n");
    const badJobs = await runCli(['build', '-j', 'zero']);
    expect(badJobs.code).toBe(2);
    expect(badJobs.stderr).toContain('-j expects a whole number');
  });
});
