/**
 * On a terminal: one listr2 task per publication (plus tables) under an overall line, each titled with its
 * `[done/total]`, its failures and what runs in it now with that step's latest progress (bytes, rate and time
 * left of a download; rows of a load). Failures and notices (waits, retries) are printed once each, on stderr,
 * by the plain reporter, and the closing table follows the display.
 */
import type { ListrTaskWrapper } from 'listr2';
import type { Io } from './io.ts';
import { groupOf, seconds } from './progress.ts';
import { label, summaryLine, type Reporter } from './report.ts';
import { plainReporter } from './report-plain.ts';
import { summaryTable } from './summary-table.ts';

/** Failed targets a group's line names before saying how many more (a long list wraps and hides the display). */
const NAMED = 3;
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export function listrReporter(io: Io, groups: string[], planned: Record<string, number>, Listr: typeof import('listr2').Listr): Reporter {
  type Task = ListrTaskWrapper<unknown, never, never>;
  const tasks = new Map<string, Task>();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  // Counts every event, prints only failures and notices.
  const plain = plainReporter({ ...io, stdout: io.stderr }, { verbose: false, dryRun: false, planned, table: false, heartbeatSecs: 0, quiet: true });
  const { progress } = plain;
  const OVERALL = '\0overall';
  const names = [OVERALL, ...new Set([...groups, 'tables'])];
  const title = (g: string) => {
    if (g === OVERALL) {
      const failed = [...progress.groups.values()].reduce((n, x) => n + x.failed.length, 0);
      return `all ${progress.overall()}${failed ? `, ${failed} failed` : ''}`;
    }
    const s = progress.groups.get(g);
    const failed = s?.failed.length ?? 0;
    const now = [...progress.running].filter(([k]) => groupOf(k) === g).map(([k, r]) => `${label(k)} ${seconds(Date.now() - r.since)}${r.progress ? ` ${r.progress}` : ''}`);
    return `${g} ${progress.tag(g) || '[0/0]'}: ${s?.counts.ran ?? 0} built${failed ? `, ${failed} failed` : ''}${now.length ? ` — ${now.join('; ')}` : ''}`;
  };
  const retitle = () => {
    for (const [g, t] of tasks) t.title = title(g);
  };
  const listr = new Listr(
    names.map((g) => ({
      title: g === OVERALL ? 'all' : g,
      task: async (_: unknown, task: Task) => {
        tasks.set(g, task);
        await done;
        task.title = title(g);
        // In name order, not the order they failed in (which concurrency makes vary from run to run).
        const failed = g === OVERALL ? [] : [...(progress.groups.get(g)?.failed ?? [])].sort(byName);
        if (failed.length) {
          const shown = failed.slice(0, NAMED).map(label).join(', ');
          throw new Error(`${shown}${failed.length > NAMED ? ` and ${failed.length - NAMED} more` : ''} failed`);
        }
      },
    })),
    { concurrent: true, exitOnError: false },
  );
  const running = listr.run().catch(() => undefined);
  // Elapsed times move even when no event arrives.
  const ticker = setInterval(retitle, 1000).unref();
  return {
    event(e) {
      plain.event(e);
      retitle();
    },
    async finish(s, ms) {
      clearInterval(ticker);
      finish();
      await running;
      io.stderr.write(summaryTable(progress, label));
      io.stdout.write(`${summaryLine(s, ms, false)}\n`);
    },
  };
}
