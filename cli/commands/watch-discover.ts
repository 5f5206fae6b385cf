/**
 * `watch --discover INTERVAL`: discovery on a timer inside a watch session. Each run adds the periods the landing
 * pages newly offer to the config file (as `discover --write` does); the watch loop then sees the saved config and
 * builds what it added, like any other save. Runs never overlap: the next one is timed from the end of the last.
 */
import { toFailure } from '../../lib/failure.ts';
import type { PipelineConfig } from '../../lib/config/types.ts';
import type { Workspace } from '../../rules/index.ts';
import { UsageError } from '../args.ts';
import type { Io } from '../io.ts';
import { runDiscovery } from './discover.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `6h`, `1d` → milliseconds. */
export function parseInterval(text: string | boolean | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\s*([smhd])$/.exec(String(text).trim());
  const ms = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1000) {
    throw new UsageError(`--discover expects an interval such as 30m, 6h or 1d (at least 1s), got "${text}"`, 'e.g. `watch --discover 6h` looks for new releases every six hours');
  }
  return ms;
}

export interface DiscoveryTimer { stop(): void }

/**
 * Runs discovery of `codes` (every publication with a landing page when empty) now and then every `intervalMs`,
 * writing what it finds; `onWritten` is told the config file changed. `report` says what each run did.
 */
export function startDiscovery(opts: {
  io: Io;
  ws: () => Workspace;
  /** The config file as it is now (a save may not have reached the watch loop yet). */
  config: () => Promise<PipelineConfig>;
  codes: string[];
  intervalMs: number;
  onWritten: () => void;
  report: (text: string, json: Record<string, unknown>, problem?: boolean) => void;
}): DiscoveryTimer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const once = async () => {
    try {
      const run = await runDiscovery(opts.ws(), opts.io, opts.codes, true, await opts.config());
      const added = run.proposals.map((x) => `${x.publication}/${x.period}`);
      // Ctrl-C during a run cuts short the pages it was reading: the user's doing, not a problem to report.
      const interrupted = stopped || opts.io.signal.aborted;
      const problems = run.found.filter((f) => f.problem && !interrupted).map((f) => ({ publication: f.publication, message: f.problem!.message, hint: f.problem!.hint }));
      const text = added.length ? `discover: added ${added.join(', ')} to the config — building them` : 'discover: nothing new';
      opts.report(text, { event: 'watch-discover', added, problems });
      for (const p of problems) opts.report(`discover: ${p.publication}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`, { event: 'watch-discover-problem', ...p }, true);
      if (run.written) opts.onWritten();
    } catch (err) {
      if (stopped || opts.io.signal.aborted) return;
      const { message, hint } = toFailure(err);
      opts.report(`discover failed: ${message}${hint ? `\n  hint: ${hint}` : ''}\n  still watching: discovery runs again in ${opts.intervalMs / 1000}s`, { event: 'watch-discover-problem', message, hint }, true);
    }
    if (!stopped) timer = setTimeout(() => void once(), opts.intervalMs);
  };
  void once();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
