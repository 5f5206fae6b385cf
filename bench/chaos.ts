/**
 * `npm run chaos`: kill builds with SIGKILL at random moments, build again, and check that the outcome is the
 * one an uninterrupted build gives (bench/chaos/trial.ts). Both database backends when DATABASE_URL is set.
 *
 *   npm run chaos -- [--trials N] [--seed S] [--only I] [--size ci|full] [--backend pglite|postgres] [--keep]
 *
 * Prints the seed first; `--seed S --trials N` replays a run, `--only I` one trial of it. Exit 1 when any
 * trial (or reference check) differs.
 */
import { runChaos } from './chaos/trial.ts';
import type { Backend, Size } from './chaos/workspace.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt('seed') ?? Math.floor(Math.random() * 2 ** 31));
const trials = Number(opt('trials') ?? 20);
const size = (opt('size') ?? 'full') as Size;
const backends: Backend[] = opt('backend') ? [opt('backend') as Backend] : process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const only = opt('only') === undefined ? undefined : Number(opt('only'));
if (!Number.isInteger(seed) || !Number.isInteger(trials) || !['ci', 'full'].includes(size)) {
  process.stderr.write('usage: npm run chaos -- [--trials N] [--seed S] [--only I] [--size ci|full] [--backend pglite|postgres] [--keep]\n');
  process.exit(2);
}

const replay = `npm run chaos -- --seed ${seed} --trials ${trials} --size ${size}${opt('backend') ? ` --backend ${opt('backend')}` : ''}`;
const started = performance.now();
process.stdout.write(`chaos: seed ${seed}, ${trials} trials, ${size} workspace, ${backends.join(' and ')}\nreplay: ${replay}\n`);
const result = await runChaos({ seed, trials, backends, size, ...(only !== undefined ? { only } : {}), keep: args.includes('--keep'), say: (line) => process.stdout.write(`${line}\n`) });
const killed = result.trials.filter((t) => t.kills.some((k) => k.killed)).length;
const count = (xs: { verdict: { kind: string } }[], kind: string) => xs.filter((x) => x.verdict.kind === kind).length;
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
process.stdout.write(
  `\nchaos: seed ${seed}: ${count(result.trials, 'same')} of ${result.trials.length} trials converged exactly` +
    `${count(result.trials, 'order') ? `, ${count(result.trials, 'order')} except for the order of columns (hole 2)` : ''}, ${count(result.trials, 'differs')} differ ` +
    `(${killed} killed mid-build, the rest had finished first); reference checks: ${count(result.references, 'same')} of ${result.references.length} the same` +
    `${count(result.references, 'order') ? `, ${count(result.references, 'order')} differ in the order of columns only (hole 2)` : ''}; ${minutes} min\n`,
);
const failed = [...result.trials, ...result.references].filter((x) => x.verdict.kind !== 'same').length;
if (failed) process.stdout.write(`NOT ALL THE SAME: ${failed}; replay: ${replay}\n`);
process.exit(failed ? 1 : 0);
