/**
 * The chaos campaign: builds killed with SIGKILL at uniformly random moments, then built again, must end
 * exactly where a build that was never interrupted ends (bench/chaos/digest.ts says what "exactly" covers).
 *
 * Per backend, first the references: a clean build of the `edited` config, and of `base`; then checks that
 * need no kill: `base` built and then switched to `edited` gives the same outcome (incremental = clean), and
 * so does building the periods one at a time in a random order with `-j 1`, then everything (the order must
 * not matter: issue 14, hole 2). Then the trials: a clean build (from an empty workspace and database) or an
 * incremental one (`base` built, switched to `edited`), with a random `-j`, killed once or twice at a random
 * moment of its run, then built to the end; the outcome must match the reference, no temporary file may be
 * left, and one more build must have nothing to do.
 *
 * Seeded: the seed decides every trial's kind, backend, `-j`, and kill times (in milliseconds; how far a build
 * has got by then varies from run to run, so a replay kills at the same moments, not always at the same step).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { digestWorkspace, verdict, type Outcome, type Verdict } from './digest.ts';
import { makeWorkspace, periods, type Backend, type ChaosWorkspace, type Size } from './workspace.ts';

const ROOT = join(import.meta.dirname, '../..');

export interface ChaosOptions {
  seed: number;
  trials: number;
  backends: Backend[];
  size: Size;
  /** Run only this trial (1-based), after the references. */
  only?: number;
  /** Keep the workspaces of failed trials (their paths are printed). */
  keep?: boolean;
  /** Check that building the periods one at a time in a random order with -j 1 changes nothing (default true). */
  orderCheck?: boolean;
  say: (line: string) => void;
}

export interface TrialResult { trial: number; kind: 'clean' | 'incremental'; backend: Backend; jobs: number; kills: { atMs: number; killed: boolean }[]; verdict: Verdict }
export interface ChaosResult { seed: number; references: { what: string; verdict: Verdict }[]; trials: TrialResult[] }

export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run { code: number | null; ms: number; killed: boolean; output: string }

/** `pipeline.ts build` as a real process (no npx: SIGKILL must reach the build itself), killed after `killAtMs`. */
export function build(ws: ChaosWorkspace, args: string[], killAtMs?: number): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'pipeline.ts'), 'build', '-C', ws.root, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', DATABASE_URL: ws.databaseUrl ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let killed = false;
  const timer = killAtMs === undefined ? undefined : setTimeout(() => {
    killed = child.exitCode === null;
    child.kill('SIGKILL');
  }, killAtMs);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, ms: performance.now() - started, killed, output });
  }));
}

async function built(ws: ChaosWorkspace, args: string[] = []): Promise<Run> {
  const run = await build(ws, args);
  if (run.code !== 0) throw new Error(`build ${args.join(' ')} in ${ws.root} exited ${run.code}:\n${run.output.slice(-4000)}`);
  return run;
}

interface Reference { clean: Outcome; incremental: Outcome; base: ChaosWorkspace; cleanMs: number; incrementalMs: number }

async function references(backend: Backend, o: ChaosOptions, random: () => number, result: ChaosResult): Promise<Reference> {
  const fresh = await makeWorkspace(backend, o.size, 'edited');
  const cleanRun = await built(fresh);
  const clean = await digestWorkspace(fresh);
  await fresh.cleanup();
  const base = await makeWorkspace(backend, o.size, 'base');
  const baseRun = await built(base);
  const later = await base.clone();
  await later.setConfig('edited');
  const incrementalRun = await built(later);
  const incremental = await digestWorkspace(later);
  await later.cleanup();
  check(`${backend}: base built, then edited (incremental) = edited built clean`, verdict(clean, incremental), o, result);
  // Kills land uniformly over how long a build of that kind takes: for a clean build, the mean of the two
  // clean builds above, so that one slow first build does not put many kills after the end.
  const cleanMs = (cleanRun.ms + baseRun.ms) / 2;
  o.say(`${backend}: clean builds ${(cleanRun.ms / 1000).toFixed(1)} s and ${(baseRun.ms / 1000).toFixed(1)} s, incremental ${(incrementalRun.ms / 1000).toFixed(1)} s`);
  if (o.orderCheck === false) return { clean, incremental, base, cleanMs, incrementalMs: incrementalRun.ms };
  // The order periods are built in, and -j, must not change the outcome.
  const ordered = await makeWorkspace(backend, o.size, 'edited');
  const targets = Object.entries(periods(o.size, 'edited')).flatMap(([code, list]) => list.map(([p]) => `${code}/${p}`));
  const order = targets.map((t) => [random(), t] as const).sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  for (const t of order) await built(ordered, [t, '-j', '1']);
  await built(ordered, ['-j', '1']);
  check(`${backend}: periods built one at a time with -j 1 (${order.join(', ')}), then all = built at once`, verdict(clean, await digestWorkspace(ordered)), o, result);
  await ordered.cleanup();
  return { clean, incremental, base, cleanMs, incrementalMs: incrementalRun.ms };
}

const MARK = { same: '✔', order: '≈', differs: '✖' } as const;
const WORDS = { same: 'converged', order: 'converged except for the order of columns (issue 14, hole 2)', differs: 'DIFFERS' } as const;

function check(what: string, v: Verdict, o: ChaosOptions, result: ChaosResult): void {
  result.references.push({ what, verdict: v });
  o.say(`${MARK[v.kind]} ${what}: ${v.kind === 'same' ? 'same' : WORDS[v.kind]}${v.diffs.map((d) => `\n    ${d}`).join('')}`);
}

/**
 * One trial. A killed clean build is compared with the clean reference, a killed incremental one with the
 * uninterrupted incremental build of the same history: what a kill may never change. (Whether history and
 * order change the outcome is the references' own check, above.)
 */
async function trial(n: number, ref: Reference, backend: Backend, random: () => number, o: ChaosOptions): Promise<TrialResult> {
  const kind = random() < 0.5 ? 'clean' : 'incremental';
  const jobs = 1 + Math.floor(random() * 4);
  const window = kind === 'clean' ? ref.cleanMs : ref.incrementalMs;
  const killTimes = Array.from({ length: random() < 0.2 ? 2 : 1 }, () => Math.round(random() * window));
  const ws = kind === 'clean' ? await makeWorkspace(backend, o.size, 'edited') : await ref.base.clone();
  if (kind === 'incremental') await ws.setConfig('edited');
  const kills: TrialResult['kills'] = [];
  let v: Verdict;
  try {
    for (const at of killTimes) {
      const run = await build(ws, ['-j', String(jobs)], at);
      kills.push({ atMs: at, killed: run.killed });
    }
    const rebuild = await build(ws, []);
    if (rebuild.code !== 0) v = { kind: 'differs', diffs: [`the build after the kill exited ${rebuild.code}:\n${rebuild.output.slice(-3000)}`] };
    else {
      v = verdict(kind === 'clean' ? ref.clean : ref.incremental, await digestWorkspace(ws));
      const again = await build(ws, []);
      if (again.code !== 0 || !/Nothing to do/.test(again.output)) v = { kind: 'differs', diffs: [...v.diffs, `one more build did something (exit ${again.code}):\n${again.output.slice(-2000)}`] };
    }
  } finally {
    const failed = v! === undefined || v.kind !== 'same';
    if (failed && o.keep) o.say(`  kept ${ws.root}${ws.databaseUrl ? ` (database ${new URL(ws.databaseUrl).pathname.slice(1)})` : ''}`);
    else await ws.cleanup();
  }
  return { trial: n, kind, backend, jobs, kills, verdict: v };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const random = prng(o.seed);
  const result: ChaosResult = { seed: o.seed, references: [], trials: [] };
  const refs = new Map<Backend, Reference>();
  try {
    for (const b of o.backends) refs.set(b, await references(b, o, random, result));
    for (let n = 1; n <= o.trials; n++) {
      // Drawn for every trial, so that --only replays exactly the trial of a full run.
      const backend = o.backends[Math.floor(random() * o.backends.length)]!;
      const trialRandom = prng(Math.floor(random() * 2 ** 32));
      if (o.only !== undefined && n !== o.only) continue;
      const r = await trial(n, refs.get(backend)!, backend, trialRandom, o);
      result.trials.push(r);
      const kills = r.kills.map((k) => `${(k.atMs / 1000).toFixed(2)} s${k.killed ? '' : ' (had finished)'}`).join(', then ');
      o.say(`${MARK[r.verdict.kind]} trial ${n}/${o.trials}: ${r.kind} ${r.backend} -j${r.jobs}, killed at ${kills}: ${WORDS[r.verdict.kind]}${r.verdict.diffs.map((d) => `\n    ${d}`).join('')}`);
    }
  } finally {
    for (const ref of refs.values()) await ref.base.cleanup();
  }
  return result;
}
