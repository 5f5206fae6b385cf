/**
 * No-op benchmark: what it costs to find out there is nothing to do, beside Ninja and `make -rR` deciding the
 * same on a same-shaped graph of `cp` commands (items × 6 chained targets), in the same run.
 *
 * Cases, each through `node_modules/.bin/tsx pipeline.ts` as users run it, in a fresh process per run:
 * - `--help`, and the first build and a no-op build of the bundled example (copied with its sample files into a temp
 *   folder; the first build's peak RSS is issue 14's memory figure);
 * - generated workspaces of P publications × 20 periods of tiny CSVs (200 and 2,000 periods by default):
 *   the first build (the engine's own overhead per target: wall time minus the time the rules report,
 *   with `-j 1` so the two add up), no-op builds, a no-op after touching every input (no rule may run),
 *   and one period's source file changed after a no-op (only its chain may run; the median time beyond its rules
 *   over --runs edits is printed, with how many targets the deps log proved).
 * Medians of `--runs` runs, with each run's peak RSS (GNU time). On the embedded database by default;
 * `--backend postgres` (or both) uses a fresh database on DATABASE_URL's server.
 *
 *   npx tsx bench/noop.bench.ts [--runs 5] [--periods 200,2000] [--backend pglite,postgres] [--skip-example]
 *
 * Timings are printed, never asserted; the run fails when a no-op runs a rule or a change runs more than its chain.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateWorkspace, serverDatabase, timed, type Run } from './generated.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    periods: { type: 'string', default: '200,2000' },
    backend: { type: 'string', default: 'pglite' },
    'skip-example': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const SIZES = values.periods!.split(',').map(Number);
const BACKENDS = values.backend!.split(',') as ('pglite' | 'postgres')[];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function medianOf(n: number, f: () => Promise<Run>): Promise<{ ms: number; rssMb: number; last: Run }> {
  const runs: Run[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  return { ms: median(runs.map((r) => r.ms)), rssMb: median(runs.map((r) => r.rssMb)), last: runs.at(-1)! };
}

const pipeline = (args: string[], env: Record<string, string | undefined>) => timed(TSX, [join(ROOT, 'pipeline.ts'), ...args], env);

/** Targets that ran, and the time the rules themselves report, from a `--json` build. */
function ranOf(run: Run): { ran: string[]; ruleMs: number; targets: number } {
  const events = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; outcome?: string; key?: string; ms?: number });
  const ends = events.filter((e) => e.event === 'target-end');
  return { ran: ends.filter((e) => e.outcome === 'ran').map((e) => e.key!), ruleMs: ends.reduce((n, e) => n + (e.ms ?? 0), 0), targets: ends.length };
}


/** The same-shaped graph for Ninja and Make: `items` inputs, each copied through 6 chained targets. */
async function anchorGraph(dir: string, items: number): Promise<void> {
  await mkdir(join(dir, 'in'), { recursive: true });
  const ninja = ['rule cp', '  command = cp $in $out', ''];
  const make = ['all:'];
  const targets: string[] = [];
  for (let i = 0; i < items; i++) {
    await writeFile(join(dir, 'in', `${i}.txt`), `${i}\n`);
    let prev = `in/${i}.txt`;
    for (let s = 1; s <= 6; s++) {
      const out = `out/${i}.${s}`;
      ninja.push(`build ${out}: cp ${prev}`);
      make.push(`${out}: ${prev}\n\t@mkdir -p out && cp $< $@`);
      prev = out;
    }
    targets.push(prev);
  }
  make[0] = `all: ${targets.join(' ')}`;
  await writeFile(join(dir, 'build.ninja'), ninja.join('\n') + '\n');
  await writeFile(join(dir, 'Makefile'), make.join('\n') + '\n');
}

async function anchors(items: number): Promise<{ ninja?: number; make?: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'noop-anchor-'));
  try {
    await anchorGraph(dir, items);
    const out: { ninja?: number; make?: number } = {};
    if (spawnSync('ninja', ['--version']).status === 0) {
      await timed('ninja', ['-C', dir]);
      out.ninja = (await medianOf(RUNS, () => timed('ninja', ['-C', dir]))).ms;
    }
    if (spawnSync('make', ['--version']).status === 0) {
      await timed('make', ['-rR', '-C', dir, '-s']);
      out.make = (await medianOf(RUNS, () => timed('make', ['-rR', '-C', dir, '-s']))).ms;
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


async function example(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'noop-example-'));
  try {
    await cp(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true, filter: (p) => !/\/(manifests|output|downloads|\.cache|\.pglite)$/.test(p) });
    await cp(join(ROOT, 'tests', 'fixtures'), join(dir, 'tests', 'fixtures'), { recursive: true });
    const ws = join(dir, 'examples', 'offline');
    // The example on the embedded database, as the README's first command runs it, whatever DATABASE_URL the bench has.
    const embedded = { DATABASE_URL: '' };
    const help = await medianOf(RUNS, () => pipeline(['--help'], embedded));
    // The first build of a fresh copy (issue 14: peak RSS ≤ 400 MB), from nothing each run; the last one stays built.
    const first = await medianOf(RUNS, async () => {
      for (const made of ['manifests', 'output', 'downloads', '.cache', '.pglite']) await rm(join(ws, made), { recursive: true, force: true });
      return pipeline(['build', '-C', ws], embedded);
    });
    const noop = await medianOf(RUNS, () => pipeline(['build', '-C', ws, '--json'], embedded));
    if (ranOf(noop.last).ran.length) throw new Error(`the example's no-op ran ${ranOf(noop.last).ran.join(', ')}`);
    const status = await medianOf(RUNS, () => pipeline(['status', '-C', ws], embedded));
    console.log(`--help                      ${fmt(help.ms).padStart(9)}   peak RSS ${help.rssMb.toFixed(0)} MB   (target ≤ 0.6 s)`);
    console.log(`example first build         ${fmt(first.ms).padStart(9)}   peak RSS ${first.rssMb.toFixed(0)} MB   (target ≤ 400 MB)`);
    console.log(`example no-op build         ${fmt(noop.ms).padStart(9)}   peak RSS ${noop.rssMb.toFixed(0)} MB   (target ≤ 0.7 s, ≤ 150 MB)`);
    console.log(`example status              ${fmt(status.ms).padStart(9)}   peak RSS ${status.rssMb.toFixed(0)} MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function generated(periods: number, backend: 'pglite' | 'postgres', anchor: { ninja?: number; make?: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `noop-${periods}-`));
  const db = backend === 'postgres' ? await serverDatabase() : undefined;
  const env = { DATABASE_URL: db?.url ?? '' };
  try {
    const files = await generateWorkspace(dir, periods);
    const first = await pipeline(['build', '-C', dir, '--json', '-j', '1'], env);
    const f = ranOf(first);
    const perTarget = (first.ms - f.ruleMs) / f.targets;
    const noop = await medianOf(RUNS, () => pipeline(['build', '-C', dir, '--json'], env));
    if (ranOf(noop.last).ran.length) throw new Error(`no-op at ${periods} ran ${ranOf(noop.last).ran.length} targets`);
    // As `touch` does: the time now (a time in the future would keep every file "racy" until the clock passes it).
    const now = new Date();
    for (const file of [...files, join(dir, 'config', 'publications.yaml')]) await utimes(file, now, now);
    const touched = await pipeline(['build', '-C', dir, '--json'], env);
    if (ranOf(touched).ran.length) throw new Error(`touching every input ran ${ranOf(touched).ran.join(', ')}`);
    // One period's source file changed, after a no-op (as a daily run finds it): median of --runs edits.
    const changes: { run: Run; beyond: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i > 0) await pipeline(['build', '-C', dir, '--json'], env);
      await writeFile(files[0], (await readFile(files[0], 'utf8')).replace(/Trust 0( \(changed \d+\))?/, `Trust 0 (changed ${i})`));
      const run = await pipeline(['build', '-C', dir, '--json'], env);
      const chain = ranOf(run).ran.filter((k) => !k.includes('pub_0/') && !k.startsWith('catalog:'));
      if (chain.length) throw new Error(`one changed file ran more than its chain: ${chain.join(', ')}`);
      changes.push({ run, beyond: run.ms - ranOf(run).ruleMs });
    }
    changes.sort((a, b) => a.beyond - b.beyond);
    const one = changes[Math.floor(changes.length / 2)].run;
    const o = ranOf(one);
    const ratio = (a?: number) => (a ? ` = ${(noop.ms / a).toFixed(0)}× ${fmt(a)}` : '');
    const label = `${periods} periods, ${backend}`.padEnd(24);
    console.log(`${label} first build ${fmt(first.ms)} for ${f.targets} targets (-j 1): engine overhead ${perTarget.toFixed(2)} ms per target (target ≤ 3 ms)`);
    console.log(`${label} no-op ${fmt(noop.ms).padStart(9)}, peak RSS ${noop.rssMb.toFixed(0)} MB; Ninja${ratio(anchor.ninja)}, make -rR${ratio(anchor.make)} (target ≤ ${periods >= 2000 ? '1.0 s, ≤ 12× Ninja' : '0.6 s'})`);
    console.log(`${label} touch every input: ${fmt(touched.ms)}, ${ranOf(touched).ran.length} rules ran (target 0)`);
    const proof = one.stdout.split('\n').find((l) => l.startsWith('{"event":"proof"'));
    const proven = proof ? `${(JSON.parse(proof) as { proven: number }).proven} targets proven by the deps log` : 'no deps log (all decided)';
    console.log(`${label} one source changed: ${fmt(one.ms)}, peak RSS ${one.rssMb.toFixed(0)} MB, ran ${o.ran.length} (${o.ran.join(', ')}); ${proven}; beyond its rules ${fmt(one.ms - o.ruleMs)} (target ≤ 1 s)`);
  } finally {
    await db?.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`no-op benchmark: ${RUNS} runs per figure (median), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; NODE_OPTIONS ${JSON.stringify(process.env.NODE_OPTIONS ?? '')} (npm and npx set it from .npmrc)`);
if (!values['skip-example']) await example();
for (const periods of SIZES) {
  const anchor = await anchors(periods);
  console.log(`${periods} items × 6 cp targets: Ninja no-op ${anchor.ninja ? fmt(anchor.ninja) : 'n/a'}, make -rR ${anchor.make ? fmt(anchor.make) : 'n/a'}`);
  for (const backend of BACKENDS) await generated(periods, backend, anchor);
}
