/**
 * Reporters render engine events: `--json` lines for machines, plain timestamped lines for pipes and CI,
 * listr2 progress on a terminal. None of them decides anything.
 */
import type { ListrTaskWrapper } from 'listr2';
import { describeReason, splitKey, type BuildEvent, type Summary } from '../engine/index.ts';
import { interactive, styler, type Io } from './io.ts';

export interface Reporter {
  event(e: BuildEvent): void;
  /** Prints the closing summary (and, for listr, stops the display). */
  finish(summary: Summary, ms: number): Promise<void>;
}

/** `draft:adhd/2025-05` → `draft adhd/2025-05`. */
export function label(key: string): string {
  const { rule, id } = splitKey(key);
  return `${rule} ${id}`;
}

/** In a plan, targets that run only if an input that will be rebuilt changes its output. */
const conditional = (e: BuildEvent) => e.type === 'target-end' && e.outcome === 'would-run' && e.reason?.kind === 'input-will-rebuild';

export function summaryLine(s: Summary, ms: number, dryRun: boolean, mayRun = 0): string {
  const secs = `${(ms / 1000).toFixed(1)}s`;
  if (dryRun) {
    return s['would-run'] === 0 && s.failed === 0 && s.skipped === 0
      ? `Nothing to do: ${s['up-to-date']} targets up to date.`
      : `Would run ${s['would-run'] - mayRun}${mayRun ? `, and ${mayRun} more if their inputs change` : ''}; up to date ${s['up-to-date']}; skipped ${s.skipped}; failed ${s.failed}.`;
  }
  const parts = [`built ${s.ran}`, `up to date ${s['up-to-date']}`, `failed ${s.failed}`, `skipped ${s.skipped}`];
  if (s.cancelled) parts.push(`cancelled ${s.cancelled}`);
  return `${s.ran === 0 && s.failed === 0 && s.skipped === 0 && !s.cancelled ? 'Nothing to do: ' : ''}${parts.join(', ')} (${secs})`;
}

export function jsonSummary(s: Summary, ms: number, mayRun = 0) {
  return { event: 'summary', ran: s.ran, upToDate: s['up-to-date'], failed: s.failed, skipped: s.skipped, cancelled: s.cancelled, wouldRun: s['would-run'] - mayRun, mayRun, durationMs: ms };
}

/** The reporter for this output: JSON lines, listr2 on a terminal (loaded only then), else plain lines. */
export async function makeReporter(io: Io, opts: { json: boolean; verbose: boolean; dryRun: boolean; groups: string[] }): Promise<Reporter> {
  if (opts.json) return jsonReporter(io);
  if (interactive(io) && !opts.dryRun) return listrReporter(io, opts.groups, opts.verbose, (await import('listr2')).Listr);
  return plainReporter(io, opts);
}

function jsonReporter(io: Io): Reporter {
  let mayRun = 0;
  return {
    event(e) {
      if (conditional(e)) mayRun++;
      const { type, ...rest } = e;
      const reason = 'reason' in e && e.reason ? { reasonText: describeReason(e.reason) } : {};
      io.stdout.write(JSON.stringify({ event: type, ...rest, ...reason }) + '\n');
    },
    async finish(s, ms) {
      io.stdout.write(JSON.stringify(jsonSummary(s, ms, mayRun)) + '\n');
    },
  };
}

function plainReporter(io: Io, opts: { verbose: boolean; dryRun: boolean }): Reporter {
  const c = styler(io.stdout, io.env);
  const time = () => io.now().toISOString().slice(11, 19);
  const line = (text: string) => io.stdout.write(`${time()} ${text}\n`);
  let mayRun = 0;
  // One cause often fails many targets (a database that cannot be reached fails every load): its
  // message and hint are printed once, and the others name the first target that printed them.
  const firstWith = new Map<string, string>();
  return {
    event(e) {
      if (conditional(e)) mayRun++;
      if (e.type === 'target-start') line(`▸ ${label(e.key)} — ${describeReason(e.reason)}`);
      else if (e.type === 'target-log') {
        if (opts.verbose || e.level === 'notice') line(`  ${c.dim(label(e.key))}: ${e.message}`);
      } else {
        const why = e.reason ? describeReason(e.reason) : '';
        switch (e.outcome) {
          case 'ran':
            line(`${c.green('✔')} ${label(e.key)} ${c.dim(`${((e.ms ?? 0) / 1000).toFixed(1)}s`)}${e.summary ? ` — ${e.summary}` : ''}${e.changed === false ? c.dim(' (output unchanged)') : ''}`);
            break;
          case 'would-run':
            // "may run": only if a target it depends on, which will run, changes its output (early cutoff).
            io.stdout.write(`${e.reason?.kind === 'input-will-rebuild' ? 'may run  ' : 'would run'}  ${label(e.key)} — ${why}\n`);
            break;
          case 'failed': {
            const message = e.error?.message ?? why;
            const cause = `${message}\0${e.error?.hint ?? ''}`;
            const first = firstWith.get(cause);
            if (first) {
              line(`${c.red('✖')} ${label(e.key)} failed: the same error as ${first}`);
              break;
            }
            firstWith.set(cause, label(e.key));
            line(`${c.red('✖')} ${label(e.key)} failed: ${message}`);
            if (e.error?.hint) line(`  hint: ${e.error.hint}`);
            break;
          }
          case 'skipped':
            line(`${c.yellow('–')} ${label(e.key)} skipped: ${why}`);
            break;
          case 'cancelled':
            line(`${c.yellow('■')} ${label(e.key)} cancelled`);
            break;
          case 'up-to-date':
            if (opts.verbose) line(`${c.dim('·')} ${label(e.key)} up to date`);
            break;
        }
      }
    },
    async finish(s, ms) {
      io.stdout.write(`${summaryLine(s, ms, opts.dryRun, mayRun)}\n`);
    },
  };
}

/** One listr2 task per publication (plus tables/catalog), its title counting what ran. */
function listrReporter(io: Io, groups: string[], verbose: boolean, Listr: typeof import('listr2').Listr): Reporter {
  type Task = ListrTaskWrapper<unknown, never, never>;
  const state = new Map<string, { task?: Task; ran: number; failed: string[]; running: Set<string> }>();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const plain = plainReporter({ ...io, stdout: io.stderr }, { verbose, dryRun: false });
  const groupOf = (key: string) => {
    const { rule, id } = splitKey(key);
    return rule === 'catalog' || rule === 'parquet' ? 'tables' : id.split('/')[0];
  };
  for (const g of [...groups, 'tables']) state.set(g, { ran: 0, failed: [], running: new Set() });
  const title = (g: string) => {
    const s = state.get(g)!;
    const now = [...s.running].map(label).join(', ');
    return `${g}: ${s.ran} built${s.failed.length ? `, ${s.failed.length} failed` : ''}${now ? ` — ${now}` : ''}`;
  };
  const listr = new Listr(
    [...state.keys()].map((g) => ({
      title: g,
      task: async (_: unknown, task: Task) => {
        state.get(g)!.task = task;
        await done;
        task.title = title(g);
        // The group names its failed targets; their messages are printed once each, below, by the plain reporter.
        if (state.get(g)!.failed.length) throw new Error(state.get(g)!.failed.join(', '));
      },
    })),
    { concurrent: true, exitOnError: false },
  );
  const running = listr.run().catch(() => undefined);
  return {
    event(e) {
      const s = state.get(groupOf(e.key)) ?? state.get('tables')!;
      if (e.type === 'target-start') s.running.add(e.key);
      else if (e.type === 'target-end') {
        s.running.delete(e.key);
        if (e.outcome === 'ran') s.ran++;
        if (e.outcome === 'failed') s.failed.push(label(e.key));
      }
      if (s.task) s.task.title = title(groupOf(e.key));
      if ((e.type === 'target-end' && e.outcome === 'failed') || (e.type === 'target-log' && e.level === 'notice')) plain.event(e);
    },
    async finish(s, ms) {
      finish();
      await running;
      io.stdout.write(`${summaryLine(s, ms, false)}\n`);
    },
  };
}
