/**
 * Load benchmark (issue 9): the whole chain `build` of one generated CSV, through the real CLI in its own process,
 * with the time of each stage that handles rows (draft, loaded, parquet, from the `--json` target-end events) as
 * rows/s beside its anchor measured in the same run (bench/load-anchors.ts):
 *
 *   loaded  vs `psql \copy` of the same file into a same-shaped table (server) or PGlite's own COPY FROM '/dev/blob'
 *   parquet vs DuckDB's read_csv → Parquet of the same file
 *   draft   (no anchor: bench/extract.bench.ts compares it with the plain parse)
 *
 * plus the whole chain's wall time, the CLI's peak RSS and CPU time, and the "floor": the database storing the rows
 * the stage loaded (all staging columns, binary COPY from a file, into a copy of the staging table with its index).
 * Runs alternate anchor and chain, each a fresh process and a fresh database; medians are printed, with the load
 * average (other work on a 2-core machine moves single runs a lot).
 *
 *   npm run bench -- load                         every case below at the default sizes
 *   LOAD_BENCH_ROWS=200000 LOAD_BENCH_RUNS=1 LOAD_BENCH_BACKENDS=pglite npx tsx bench/load.bench.ts
 *   LOAD_BENCH_BIG=15000000 npm run bench -- load  adds the 15M-row GP-appointments-shaped chain (minutes)
 *
 * LOAD_BENCH_ROWS (default 1000000) sizes the 10-column case (0 skips it); LOAD_BENCH_RUNS (default 3) its runs;
 * LOAD_BENCH_BACKENDS (default postgres,pglite; postgres needs DATABASE_URL of a role that may CREATE DATABASE);
 * LOAD_BENCH_APPOINTMENTS (default 1000000, 0 skips it) the GP-appointments-shaped chain that reports peak RSS at
 * that size, on the first backend listed.
 * Nothing is asserted: the run fails only when a build fails.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, cp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateCsv, type Shape } from './generate.ts';
import { inChild, psql, psqlCopy, psqlFloor, type Timing } from './load-anchors.ts';

type Backend = 'postgres' | 'pglite';
const ROOT = join(import.meta.dirname, '..');
const env = process.env;
const ROWS = Number(env.LOAD_BENCH_ROWS ?? 1_000_000);
const RUNS = Math.max(1, Number(env.LOAD_BENCH_RUNS ?? 3));
const APPOINTMENTS = Number(env.LOAD_BENCH_APPOINTMENTS ?? 1_000_000);
const BIG = env.LOAD_BENCH_BIG ? Number(env.LOAD_BENCH_BIG) : undefined;
const SERVER = env.DATABASE_URL;
const BACKENDS = (env.LOAD_BENCH_BACKENDS ?? 'postgres,pglite').split(',').filter((b): b is Backend => b === 'pglite' || (b === 'postgres' && !!SERVER));

interface Chain { draftMs: number; loadedMs: number; parquetMs: number; totalMs: number; rssMb: number; cpuMs: number; table: string }

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const say = (s: string) => process.stdout.write(`${s}\n`);

/** A database of its own on the server for one chain; dropped by the returned function. */
async function serverDb(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `nhs_bench_${randomBytes(5).toString('hex')}`;
  await psql(SERVER!, ['-c', `CREATE DATABASE ${name}`]);
  const url = new URL(SERVER!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => psql(SERVER!, ['-c', `DROP DATABASE IF EXISTS ${name}`]).then(() => undefined) };
}

/** `build` of a fresh workspace whose one period is `csv`, in its own process; stage times from its JSON events. */
async function chain(csv: string, ws: string, databaseUrl: string | undefined, template: string | undefined): Promise<Chain> {
  await mkdir(join(ws, 'config'), { recursive: true });
  await writeFile(join(ws, 'config', 'publications.yaml'), `publications:\n  bench:\n    name: Load benchmark\n    periods:\n      - period: 2025-01\n        url: ${pathToFileURL(csv).href}\n`);
  if (template) await cp(template, join(ws, '.pglite'), { recursive: true }); // an existing workspace's database, not a first initdb
  const probe = join(ws, 'probe.json');
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const args = ['--import', 'tsx', '--import', join(ROOT, 'bench', 'probe.ts'), join(ROOT, 'pipeline.ts'), 'build', '-C', ws, '--json', '-j', '2'];
    const childEnv: NodeJS.ProcessEnv = { ...env, NHS_BENCH_PROBE: probe, CI: 'true' };
    if (databaseUrl) childEnv.DATABASE_URL = databaseUrl;
    else delete childEnv.DATABASE_URL;
    const p = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`build failed (exit ${code}):\n${text.slice(-2000)}`))));
  });
  const totalMs = performance.now() - started;
  const events = out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; key?: string; ms?: number });
  const ms = (stage: string) => events.find((e) => e.event === 'target-end' && e.key?.startsWith(`${stage}:`))?.ms ?? NaN;
  const table = events.find((e) => e.event === 'target-end' && e.key?.startsWith('parquet:'))!.key!.split('/')[1]!;
  const { rssMb, cpuMs } = JSON.parse(await readFile(probe, 'utf8')) as { rssMb: number; cpuMs: number };
  return { draftMs: ms('draft'), loadedMs: ms('loaded'), parquetMs: ms('parquet'), totalMs, rssMb, cpuMs, table };
}

/** One measured run of a backend: anchors, then the chain, then the floor in the chain's database. */
async function run(backend: Backend, csv: string, shape: Shape, dir: string, template: string | undefined) {
  const ws = await mkdtemp(join(dir, `ws-${backend}-`));
  const server = backend === 'postgres' ? await serverDb() : undefined;
  try {
    const copy = server ? await psqlCopy(server.url, csv, shape) : await inChild('pglite-copy', template!, join(dir, 'anchor-pglite'), csv, shape);
    const duck = await inChild('duckdb-parquet', csv, join(dir, 'anchor.parquet'));
    const c = await chain(csv, ws, server?.url, template);
    const floor: Timing = server ? await psqlFloor(server.url, c.table, dir) : await inChild('pglite-floor', join(ws, '.pglite'), c.table);
    return { copy, duck, chain: c, floor };
  } finally {
    await server?.drop();
    await rm(ws, { recursive: true, force: true });
  }
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((x, i) => (i < 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return `${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(row).join('\n')}\n`;
}

async function main(): Promise<void> {
  say(`load average at start: ${load()} (1, 5, 15 min) on ${cpus().length} CPUs; node ${process.version}; ${RUNS} run(s), medians; backends: ${BACKENDS.join(', ') || 'none'}${SERVER ? '' : ' (set DATABASE_URL for postgres)'}`);
  const dir = await mkdtemp(join(tmpdir(), 'nhs-bench-load-'));
  try {
    let template: string | undefined;
    if (BACKENDS.includes('pglite')) {
      // An existing workspace's database, made as the pipeline makes one (lib/db/pglite-template.ts), not by initdb.
      const { openDb } = await import('../lib/db/index.ts');
      await (await openDb({ workspace: join(dir, 'template-workspace') })).close();
      template = join(dir, 'template-workspace', '.pglite');
    }
    const wide = join(dir, 'wide.csv');
    if (ROWS > 0) await generateCsv(wide, ROWS, 'wide');
    if (ROWS > 0) say(`generated ${fmt(ROWS)}-row 10-column CSV (${fmt((await stat(wide)).size / 1e6, 1)} MB)`);
    const lines: string[][] = [];
    for (const backend of ROWS > 0 ? BACKENDS : []) {
      const runs: Awaited<ReturnType<typeof run>>[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await run(backend, wide, 'wide', dir, template);
        runs.push(r);
        const c = r.chain;
        say(`  ${backend} run ${i + 1}: draft ${fmt(c.draftMs / 1000, 2)} s, loaded ${fmt(c.loadedMs / 1000, 2)} s (anchor ${fmt(r.copy.ms / 1000, 2)}, floor ${fmt(r.floor.ms / 1000, 2)}), parquet ${fmt(c.parquetMs / 1000, 2)} s (anchor ${fmt(r.duck.ms / 1000, 2)}); chain ${fmt(c.totalMs / 1000, 1)} s, CLI cpu ${fmt(c.cpuMs / 1000, 1)} s, peak RSS ${fmt(c.rssMb)} MB (load ${load()})`);
      }
      const m = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
      const rate = (ms: number) => fmt(ROWS / (ms / 1000));
      const line = (stage: string, ours: number, anchor: number | undefined, name: string, target: string) =>
        lines.push([backend, stage, fmt(ours / 1000, 2), rate(ours), anchor === undefined ? '—' : fmt(anchor / 1000, 2), anchor === undefined ? '—' : rate(anchor), anchor === undefined ? '—' : fmt(anchor / ours, 2), target, name]);
      line('draft', m((r) => r.chain.draftMs), undefined, '', '');
      line('loaded', m((r) => r.chain.loadedMs), m((r) => r.copy.ms), backend === 'postgres' ? 'psql \\copy, same-shaped table' : "PGlite COPY FROM '/dev/blob'", '≥ 0.5');
      line('(floor)', m((r) => r.chain.loadedMs), m((r) => r.floor.ms), 'the DB storing these staging rows (binary file)', '');
      line('parquet', m((r) => r.chain.parquetMs), m((r) => r.duck.ms), 'DuckDB read_csv → Parquet', '≥ 0.5');
      lines.push([backend, 'chain', fmt(m((r) => r.chain.totalMs) / 1000, 1), rate(m((r) => r.chain.totalMs)), '', '', '', '', `peak RSS ${fmt(m((r) => r.chain.rssMb))} MB, CLI cpu ${fmt(m((r) => r.chain.cpuMs) / 1000, 1)} s`]);
    }
    if (ROWS > 0) say(`\n${fmt(ROWS)} rows, 10 columns (bigint id, codes, quoted names, dd/mm/yyyy dates, counts and decimals with * cells):\n`);
    if (ROWS > 0) say(table(['backend', 'stage', 'ours s', 'ours rows/s', 'anchor s', 'anchor rows/s', 'ours ×', 'target', 'anchor'], lines));
    if (ROWS > 0) say('ours × = ours rows/s ÷ anchor rows/s. (floor) compares the loaded stage with the database alone storing the same\nstaging rows (the data columns and the 7 provenance columns, slice index) from a binary file: the ceiling for any load into that table.\n');

    // GP-appointments-shaped chains: peak RSS at 1M rows, and the 15M-row chain when asked for (server first).
    const backend: Backend | undefined = BACKENDS[0];
    const sizes = [APPOINTMENTS, ...(BIG ? [BIG] : [])].filter((n) => n > 0);
    for (const n of backend ? sizes : []) {
      const csv = join(dir, `appointments-${n}.csv`);
      await generateCsv(csv, n, 'appointments');
      const ws = await mkdtemp(join(dir, 'ws-appt-'));
      const server = backend === 'postgres' ? await serverDb() : undefined;
      try {
        const c = await chain(csv, ws, server?.url, template);
        const r = (ms: number) => `${fmt(n / (ms / 1000))} rows/s`;
        say(`GP-appointments-shaped CSV, ${fmt(n)} rows (${fmt((await stat(csv)).size / 1e6)} MB), ${backend}: whole chain ${fmt(c.totalMs / 1000, 1)} s` +
          `${n >= 15_000_000 ? ` (target ≤ 180 s)` : ''}; draft ${r(c.draftMs)}, loaded ${r(c.loadedMs)}, parquet ${r(c.parquetMs)}; CLI peak RSS ${fmt(c.rssMb)} MB (target ≤ 400), cpu ${fmt(c.cpuMs / 1000, 1)} s (load ${load()})`);
      } finally {
        await server?.drop();
        await rm(ws, { recursive: true, force: true });
        await rm(csv, { force: true });
      }
    }
    say(`load average at end: ${load()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
