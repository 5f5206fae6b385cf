/**
 * Runs `pipeline.ts watch --json` in-process through `main()`, as a user would from a shell, and lets a
 * test wait for the events it prints. Used by the watch tests and the watch latency benchmark.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { main } from '../../cli/main.ts';

export type Event = Record<string, unknown> & { event: string };

export interface WatchRun {
  /** Every JSON line printed so far, in order. */
  events: Event[];
  stderr(): string;
  /** Waits until an event after index `from` matches; returns its index. */
  waitFor(match: (e: Event) => boolean, from?: number, ms?: number): Promise<number>;
  /** Calls `fn` synchronously as each event is printed (e.g. to press Ctrl-C at an exact moment). */
  onEvent(fn: (e: Event, at: number) => void): void;
  /** Presses Ctrl-C (aborts the signal) and returns the exit code. */
  stop(): Promise<number>;
  /** The exit code, once watch has ended by itself (e.g. a config error at start). */
  code: Promise<number>;
}

export function startWatch(args: string[], env: Record<string, string | undefined> = {}): WatchRun {
  const events: Event[] = [];
  const hooks: ((e: Event, at: number) => void)[] = [];
  let stderr = '';
  let buffer = '';
  const controller = new AbortController();
  const code = main(['watch', '--json', ...args], {
    stdout: {
      isTTY: false,
      write(text: string) {
        buffer += text;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          const e = JSON.parse(line) as Event;
          events.push(e);
          const at = performance.now();
          for (const h of hooks) h(e, at);
        }
        return true;
      },
    },
    stderr: { isTTY: false, write: (s: string) => (stderr += s) },
    env: { CI: 'true', NHS_PIPELINE_CHECK_READS: '1', ...env },
    cwd: process.cwd(),
    now: () => new Date(),
    signal: controller.signal,
  });
  return {
    events,
    stderr: () => stderr,
    async waitFor(match, from = 0, ms = 90_000) {
      const end = Date.now() + ms;
      for (;;) {
        const i = events.findIndex((e, j) => j >= from && match(e));
        if (i >= 0) return i;
        if (Date.now() > end) throw new Error(`timed out waiting for an event; last events:\n${events.slice(-5).map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`);
        await Promise.race([code, new Promise((r) => setTimeout(r, 20))]);
      }
    },
    onEvent: (fn) => void hooks.push(fn),
    async stop() {
      controller.abort(new Error('interrupted'));
      return code;
    },
    code,
  };
}

/** Saves like an editor that writes a temporary file and renames it over the original. */
export async function saveByRename(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${Date.now()}.swp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** The events of one watch cycle: from its `watch-cycle` line up to the next cycle (or the end so far). */
export function cycleEvents(run: WatchRun, cycle: number): Event[] {
  const start = run.events.findIndex((e) => e.event === 'watch-cycle' && e.cycle === cycle);
  if (start < 0) return [];
  const next = run.events.findIndex((e, i) => i > start && e.event === 'watch-cycle');
  return run.events.slice(start, next < 0 ? undefined : next);
}

/** Waits until cycle `n` has finished: its summary line, or its `watch-cycle` line when it builds nothing. */
export async function cycleDone(run: WatchRun, n: number): Promise<Event[]> {
  const start = await run.waitFor((e) => e.event === 'watch-cycle' && e.cycle === n);
  if (run.events[start].build) await run.waitFor((e) => e.event === 'summary', start);
  return cycleEvents(run, n);
}

/** Targets that ran in a cycle, sorted. */
export function ranIn(events: Event[]): string[] {
  return events.filter((e) => e.event === 'target-end' && e.outcome === 'ran').map((e) => String(e.key)).sort();
}

/** Replaces the last field of data row `row` (1-based, after the header) of a CSV: a real edit of one value. */
export async function editCsvValue(path: string, row: number, value: string): Promise<string> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines[row] = lines[row].replace(/"[^"]*"(\r?)$/, `"${value}"$1`);
  const text = lines.join('\n');
  await saveByRename(path, text);
  return text;
}
