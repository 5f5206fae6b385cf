/**
 * The commands that look at a workspace rather than build it (issue 13): `graph` (DOT, Mermaid), `init` (a commented
 * config that validates, never overwriting one) and `doctor` (Node, disk, config, database without its password,
 * workspace id, the configured hosts; exit 1 when something is wrong).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, unreachableDatabaseUrl, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, runCli } from './cli-rig.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('graph', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await oapsWorkspace('graph-');
    dirs.push(ws);
    // Through canonical: the manifests then say which table each period feeds.
    expect((await runCli(['build', '-C', ws, ':canonical'])).code).toBe(0);
  });

  const chain = (p: string) => ['download', 'draft', 'enriched', 'canonical', 'loaded'].map((s) => `${s}:oaps/${p}`);
  const pairs = (xs: string[]) => xs.slice(1).map((x, i) => [xs[i], x]);

  it('--json: each period\'s chain, the table both periods feed, the catalog over it', async () => {
    const res = await runCli(['graph', '-C', ws, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const [g] = res.events as { nodes: string[]; edges: string[][] }[];
    expect(g.nodes).toEqual([...chain('2016-10'), ...chain('2016-12'), 'parquet:oaps/oaps_open_data', 'catalog:all']);
    expect(g.edges).toEqual([
      ...pairs(chain('2016-10')), ...pairs(chain('2016-12')),
      ['loaded:oaps/2016-10', 'parquet:oaps/oaps_open_data'], ['loaded:oaps/2016-12', 'parquet:oaps/oaps_open_data'],
      ['parquet:oaps/oaps_open_data', 'catalog:all'],
    ]);
  });

  it('prints DOT, and Mermaid with --mermaid; a target narrows it to its chain', async () => {
    const dot = await runCli(['graph', '-C', ws]);
    expect(dot.stdout).toMatch(/^digraph pipeline \{\n  rankdir=LR;\n/);
    expect(dot.stdout).toContain('  "loaded:oaps/2016-12" -> "parquet:oaps/oaps_open_data";\n');
    expect(dot.stdout.trimEnd().endsWith('}')).toBe(true);
    const mermaid = await runCli(['graph', '-C', ws, 'oaps/2016-10:draft', '--mermaid']);
    expect(mermaid.stdout).toBe('flowchart LR\n  n0["download:oaps/2016-10"]\n  n1["draft:oaps/2016-10"]\n  n0 --> n1\n');
  });
});

describe('init', () => {
  it('writes a commented config that validates, and never overwrites one', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'init-'));
    dirs.push(parent);
    const ws = join(parent, 'new-workspace');
    const res = await runCli(['init', ws]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`Created ${join(ws, 'config/publications.yaml')}`);
    const config = await readFile(join(ws, 'config/publications.yaml'), 'utf8');
    expect(config).toMatch(/^# NHS publications this workspace builds/);
    expect(await readFile(join(ws, '.gitignore'), 'utf8')).toContain('/.pglite/');
    // It validates: a plan reads it and would download its one period.
    const plan = await runCli(['build', '-n', '-C', ws, '--json', 'adhd/*:download']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.events.filter((e) => e.event === 'target-end').map((e) => [e.key, e.outcome])).toEqual([['download:adhd/2025-05', 'would-run']]);
    await writeFile(join(ws, 'config/publications.yaml'), 'publications: {}  # mine\n');
    const again = await runCli(['-C', ws, 'init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: init never overwrites a config');
    expect(await readFile(join(ws, 'config/publications.yaml'), 'utf8')).toBe('publications: {}  # mine\n');
  });
});

describe.each(testBackends())('doctor (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let server: Server;
  beforeAll(async () => {
    ws = await oapsWorkspace(`doctor-${backend}-`);
    dirs.push(ws);
    db = await makeTestDb(backend, ws);
    server = createServer((_, res) => res.writeHead(204).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    server?.close();
    await db?.cleanup();
  });
  const line = (out: string, check: string) => out.split('\n').find((l) => l.slice(2).startsWith(`${check} `)) ?? '';

  it('all well: exit 0, each check on its line, the database named without its password', async () => {
    const { port } = server.address() as AddressInfo;
    const config = await readFile(join(ws, 'config/publications.yaml'), 'utf8');
    await writeFile(join(ws, 'config/publications.yaml'), config.replace('    name: OAPs\n', `    name: OAPs\n    landing_page: http://127.0.0.1:${port}/oaps\n`));
    const res = await runCli(['doctor', '-C', ws], { DATABASE_URL: db.databaseUrl });
    expect(res.code, res.stdout).toBe(0);
    expect(line(res.stdout, 'node')).toContain(`✔ node       v${process.versions.node} (nhs-pipeline`);
    expect(line(res.stdout, 'disk')).toMatch(/GiB free/);
    expect(line(res.stdout, 'config')).toContain('1 publication, 2 periods');
    expect(line(res.stdout, 'database')).toMatch(backend === 'pglite' ? /✔ database +PGlite at .*: PostgreSQL \d+/ : /✔ database +PostgreSQL 127\.0\.0\.1:\d+\/\S+ as \S+: PostgreSQL \d+/);
    expect(line(res.stdout, 'network')).toContain(`✔ network    127.0.0.1:${port} answers (HTTP 204`);
    if (db.databaseUrl) expect(res.stdout).not.toContain(new URL(db.databaseUrl).password || '\0');
  });

  it('a host that does not resolve and a database that cannot be reached: exit 1, said per check, no password', async () => {
    const config = await readFile(join(ws, 'config/publications.yaml'), 'utf8');
    await writeFile(join(ws, 'config/publications.yaml'), config.replace(/landing_page: .*/, 'landing_page: http://doctor-test.invalid/oaps'));
    const res = await runCli(['doctor', '-C', ws, '--json'], { DATABASE_URL: await unreachableDatabaseUrl('s3cret-pw') });
    expect(res.code).toBe(1);
    const [e] = res.events as { ok: boolean; checks: { check: string; ok: boolean; detail: string }[] }[];
    expect(e.ok).toBe(false);
    expect(e.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['database', 'network']);
    expect(e.checks.find((c) => c.check === 'network')!.detail).toMatch(/^doctor-test\.invalid cannot be reached: (ENOTFOUND|EAI_AGAIN)/);
    expect(e.checks.find((c) => c.check === 'database')!.detail).toMatch(/Could not connect to PostgreSQL at 127\.0\.0\.1:\d+\/nhs as nhs/);
    expect(res.stdout).not.toContain('s3cret-pw');
  });
});
