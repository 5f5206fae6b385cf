/** Everything a command may touch of the outside world, passed in so tests run commands in-process. */
import type { WebDeps } from '../lib/web/index.ts';

export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Out;
  stderr: Out;
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Standard input, for commands that read it (`sql` without a statement); absent: nothing to read. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /**
   * A heartbeat on its own thread, for plain output, that speaks when a step holds the main thread (pipeline.ts:
   * lib/stall-watch.ts over the real stdout); absent, only the main thread's heartbeat speaks.
   */
  stallWatch?: (everyMs: number) => import('../lib/stall-watch.ts').StallWatch;
  /** Watches over a workspace this process writes, to clean up should it be killed outright (pipeline.ts: lib/guardian.ts). */
  guard?: (root: string) => void;
  /** Network for downloads (default: global fetch). */
  web?: WebDeps;
}

/** Exit codes, documented in README.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** ANSI styling that switches off for pipes, CI and NO_COLOR (https://no-color.org). */
export function styler(out: Out, env: Io['env']) {
  const on = Boolean(out.isTTY) && env.NO_COLOR === undefined && env.CI !== 'true' && env.TERM !== 'dumb';
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), green: wrap('32'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1') };
}

/** Progress is drawn (listr2) only on a real terminal that is not CI. */
export function interactive(io: Io): boolean {
  return Boolean(io.stdout.isTTY) && (io.stdout.columns ?? 0) > 0 && io.env.CI !== 'true' && io.env.TERM !== 'dumb';
}
