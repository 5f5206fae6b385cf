/**
 * Plain timestamped lines, for pipes and CI: each target as it starts and ends, counted `[done/total]` overall
 * and in its group, notices (waits, retries) as they happen, a heartbeat naming what runs and for how long when
 * nothing else was said for a few seconds, and a closing table.
 */
import type { BuildEvent } from '../engine/index.ts';
import { describeReason } from '../engine/stale.ts';
import { styler, type Io } from './io.ts';
import { groupOf, Progress } from './progress.ts';
import { conditional, label, summaryLine, type Reporter } from './report.ts';
import { summaryTable } from './summary-table.ts';
import type { StallWatch } from '../lib/stall-watch.ts';

export interface PlainOptions {
  verbose: boolean;
  dryRun: boolean;
  /** Targets per group known before the build. */
  planned?: Record<string, number>;
  /** Print the closing table (off when another reporter draws the progress). */
  table?: boolean;
  /** Seconds of silence before a heartbeat (NHS_PIPELINE_HEARTBEAT, default 5); 0: none. */
  heartbeatSecs?: number;
  /** Print only failures and notices (under the terminal display, which shows the rest). */
  quiet?: boolean;
}

export function plainReporter(io: Io, opts: PlainOptions): Reporter & { progress: Progress } {
  const c = styler(io.stdout, io.env);
  const time = () => io.now().toISOString().slice(11, 19);
  let said = Date.now();
  // Started once something runs (a no-op starts no thread): it speaks when a step holds the main thread.
  let watch: StallWatch | undefined;
  const line = (text: string) => {
    said = Date.now();
    watch?.said();
    io.stdout.write(`${time()} ${text}\n`);
  };
  const progress = new Progress(opts.planned ?? {});
  const tag = (key: string) => c.dim(`${progress.overall()} ${groupOf(key)} ${progress.tag(groupOf(key))}`);
  const beatMs = (opts.heartbeatSecs ?? heartbeatSecs(io.env)) * 1000;
  const heartbeat =
    beatMs > 0 && !opts.dryRun
      ? setInterval(() => {
          watch?.alive();
          if (Date.now() - said < beatMs || progress.running.size === 0) return;
          line(`… ${progress.overall()} running: ${progress.now(label).join('; ')}`);
        }, Math.min(1000, beatMs)).unref()
      : undefined;
  let mayRun = 0;
  // One cause often fails many targets (a database that cannot be reached fails every load): its
  // message and hint are printed once, and the others name the first target that printed them.
  const firstWith = new Map<string, string>();
  return {
    progress,
    event(e: BuildEvent) {
      progress.event(e);
      if (heartbeat && !opts.quiet && e.type === 'target-start') watch ??= io.stallWatch?.(beatMs);
      watch?.running([...progress.running.keys()].map(label).join('; '));
      if (conditional(e)) mayRun++;
      if (opts.quiet && !(e.type === 'target-end' && e.outcome === 'failed') && !(e.type === 'target-log' && e.level === 'notice')) return;
      if (e.type === 'target-start') line(`▸ ${label(e.key)} — ${describeReason(e.reason)}`);
      else if (e.type === 'target-log') {
        if (e.level !== 'progress' && (opts.verbose || e.level === 'notice')) line(`  ${c.dim(label(e.key))}: ${e.message}`);
      } else {
        const why = e.reason ? describeReason(e.reason) : '';
        switch (e.outcome) {
          case 'ran':
            line(`${c.green('✔')} ${label(e.key)} ${c.dim(`${((e.ms ?? 0) / 1000).toFixed(1)}s`)}${e.summary ? ` — ${e.summary}` : ''}${e.changed === false ? c.dim(' (output unchanged)') : ''} ${tag(e.key)}`);
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
              line(`${c.red('✖')} ${label(e.key)} failed: the same error as ${first}${opts.quiet ? '' : ` ${tag(e.key)}`}`);
              break;
            }
            firstWith.set(cause, label(e.key));
            line(`${c.red('✖')} ${label(e.key)} failed: ${message}${opts.quiet ? '' : ` ${tag(e.key)}`}`);
            if (e.error?.hint) line(`  hint: ${e.error.hint}`);
            break;
          }
          case 'skipped':
            line(`${c.yellow('–')} ${label(e.key)} skipped: ${why} ${tag(e.key)}`);
            break;
          case 'cancelled':
            line(`${c.yellow('■')} ${label(e.key)} cancelled ${tag(e.key)}`);
            break;
          case 'up-to-date':
            if (opts.verbose) line(`${c.dim('·')} ${label(e.key)} up to date ${tag(e.key)}`);
            break;
        }
      }
    },
    async finish(s, ms) {
      clearInterval(heartbeat);
      watch?.stop();
      if (opts.table !== false && !opts.dryRun) io.stdout.write(summaryTable(progress, label));
      io.stdout.write(`${summaryLine(s, ms, opts.dryRun, mayRun)}\n`);
    },
  };
}

/** NHS_PIPELINE_HEARTBEAT: seconds of silence before plain output says what is still running (default 5). */
export function heartbeatSecs(env: Record<string, string | undefined>): number {
  const n = Number(env.NHS_PIPELINE_HEARTBEAT);
  return env.NHS_PIPELINE_HEARTBEAT !== undefined && env.NHS_PIPELINE_HEARTBEAT !== '' && Number.isFinite(n) && n >= 0 ? n : 5;
}
