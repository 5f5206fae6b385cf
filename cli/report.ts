/**
 * Reporters render engine events: `--json` lines for machines, plain timestamped lines for pipes and CI
 * (report-plain.ts), listr2 progress on a terminal (report-listr.ts). None of them decides anything.
 */
import type { BuildEvent, Summary } from '../engine/index.ts';
import { splitKey } from '../engine/rule.ts';
import { describeReason } from '../engine/stale.ts';
import { interactive, type Io } from './io.ts';

export interface Reporter {
  event(e: BuildEvent): void;
  /** Prints the closing summary (and, for listr, stops the display). */
  finish(summary: Tally, ms: number): Promise<void>;
}

/** The engine's outcome counts, and how many of the targets that ran rebuilt their output to the same bytes. */
export type Tally = Summary & { unchanged?: number };

/** `draft:adhd/2025-05` → `draft adhd/2025-05`. */
export function label(key: string): string {
  const { rule, id } = splitKey(key);
  return `${rule} ${id}`;
}

/** In a plan, targets that run only if an input that will be rebuilt changes its output. */
export const conditional = (e: BuildEvent) => e.type === 'target-end' && e.outcome === 'would-run' && e.reason?.kind === 'input-will-rebuild';

export function summaryLine(s: Tally, ms: number, dryRun: boolean, mayRun = 0): string {
  const secs = `${(ms / 1000).toFixed(1)}s`;
  if (dryRun) {
    return s['would-run'] === 0 && s.failed === 0 && s.skipped === 0
      ? `Nothing to do: ${s['up-to-date']} targets up to date.`
      : `Would run ${s['would-run'] - mayRun}${mayRun ? `, and ${mayRun} more if their inputs change` : ''}; up to date ${s['up-to-date']}; skipped ${s.skipped}; failed ${s.failed}.`;
  }
  // A target run again to identical output (a local file read again by --refresh, an edit undone) is said so.
  const same = s.unchanged ? ` (${s.unchanged === s.ran ? (s.ran === 1 ? 'its output unchanged' : 'all with their output unchanged') : `${s.unchanged} with their output unchanged`})` : '';
  const parts = [`built ${s.ran}${same}`, `up to date ${s['up-to-date']}`, `failed ${s.failed}`, `skipped ${s.skipped}`];
  if (s.cancelled) parts.push(`cancelled ${s.cancelled}`);
  return `${s.ran === 0 && s.failed === 0 && s.skipped === 0 && !s.cancelled ? 'Nothing to do: ' : ''}${parts.join(', ')} (${secs})`;
}

export function jsonSummary(s: Tally, ms: number, mayRun = 0) {
  return { event: 'summary', ran: s.ran, unchanged: s.unchanged ?? 0, upToDate: s['up-to-date'], failed: s.failed, skipped: s.skipped, cancelled: s.cancelled, wouldRun: s['would-run'] - mayRun, mayRun, durationMs: ms };
}

/** The reporter for this output: JSON lines, listr2 on a terminal (loaded only then), else plain lines. */
export async function makeReporter(
  io: Io,
  opts: { json: boolean; verbose: boolean; dryRun: boolean; groups: string[]; planned?: Record<string, number>; hint?: (hint: string) => string },
): Promise<Reporter> {
  const r = await chooseReporter(io, opts);
  const hint = opts.hint;
  let unchanged = 0;
  return {
    event(e) {
      if (e.type === 'target-end' && e.outcome === 'ran' && e.changed === false) unchanged++;
      // Hints name the config file and the -C in force (cli/hints.ts).
      r.event(hint && e.type === 'target-end' && e.error?.hint ? { ...e, error: { ...e.error, hint: hint(e.error.hint) } } : e);
    },
    finish: (s, ms) => r.finish({ ...s, unchanged }, ms),
  };
}

async function chooseReporter(io: Io, opts: { json: boolean; verbose: boolean; dryRun: boolean; groups: string[]; planned?: Record<string, number> }): Promise<Reporter> {
  if (opts.json) return jsonReporter(io);
  if (interactive(io) && !opts.dryRun) return (await import('./report-listr.ts')).listrReporter(io, opts.groups, opts.planned ?? {}, (await import('listr2')).Listr);
  return (await import('./report-plain.ts')).plainReporter(io, opts);
}

/** An up-to-date end with nothing to say beyond its key (what the engine ends a target found or proven so with). */
function plainUpToDate(e: BuildEvent): boolean {
  for (const k in e) if (k !== 'type' && k !== 'key' && k !== 'outcome' && e[k as keyof BuildEvent] !== undefined) return false;
  return true;
}

function jsonReporter(io: Io): Reporter {
  let mayRun = 0;
  return {
    event(e) {
      // Most events of a big workspace are this one (10,000 per build of 2,000 periods): written as JSON.stringify would.
      if (e.type === 'target-end' && e.outcome === 'up-to-date' && plainUpToDate(e)) return void io.stdout.write(`{"event":"target-end","key":${JSON.stringify(e.key)},"outcome":"up-to-date"}\n`);
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

