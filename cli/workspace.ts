/**
 * Opening the workspace for a command. Writers take the workspace lock, waiting (and saying so) for another
 * writer. Readers (`status`, `explain`, `build -n`, `clean` without `--execute`) never wait: on a server they
 * read beside a running build; with the embedded database, which one process at a time may open, they take
 * the lock only when it is free, and otherwise answer from the build log, saying a build is in progress.
 */
import { join } from 'node:path';
import { llmSettings } from '../lib/llm/settings.ts';
import { acquireLock, lockHolder, tryAcquireLock, type Lock, type LockHolder } from '../lib/lock.ts';
import { collectStaleTemp, DatabaseBusy, openPipeline, timeoutsFromEnv, type Pipeline, type Stage } from '../rules/index.ts';
import type { GlobalOptions } from './args.ts';
import type { Io } from './io.ts';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(t), reject(signal.reason));
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface Opened {
  pipeline: Pipeline;
  /** A build that holds the workspace while this reader runs (said to the user, never waited for). */
  busy?: LockHolder;
  /** Runs `fn` once the workspace is closed (database shut, build log saved), still under the lock; not after a failure. */
  afterClose(fn: () => Promise<void>): void;
}

/** Opens the workspace for `fn`, under the lock when it writes, and closes it (saving the build log) after. */
export async function withPipeline<T>(
  io: Io,
  g: GlobalOptions,
  opts: {
    refresh?: boolean;
    write: boolean;
    command: string;
    stages?: readonly Stage[];
    /** Answers without opening the workspace when it can (under the lock, with the same `busy`); undefined: open it. */
    before?: (busy: LockHolder | undefined) => Promise<T | undefined>;
  },
  fn: (o: Opened) => Promise<T>,
): Promise<T> {
  const lockPath = join(g.dir, '.cache', 'build.lock');
  const me: LockHolder = { pid: process.pid, since: io.now().toISOString(), command: opts.command };
  const embedded = !io.env.DATABASE_URL;
  const onWait = (h: LockHolder) => io.stderr.write(`Waiting for another ${h.command} in this workspace (pid ${h.pid}, since ${h.since}) to finish…\n`);
  const lock: Lock | undefined = opts.write ? await acquireLock(lockPath, me, { signal: io.signal, sleep, onWait }) : undefined;
  const busy = opts.write ? undefined : await lockHolder(lockPath);
  // The embedded database may be open in one process at a time: whoever opens it holds `.cache/db.lock`.
  // A writer waits for a reader that has it (briefly); a reader never waits, it answers from the build log.
  const dbLock = join(g.dir, '.cache', 'db.lock');
  const claimDatabase = async () => {
    if (opts.write) return acquireLock(dbLock, me, { signal: io.signal, sleep, onWait });
    const got = await tryAcquireLock(dbLock, me);
    if ('holder' in got) throw new DatabaseBusy(got.holder);
    return got;
  };
  try {
    if (lock && opts.command !== 'clean') {
      // A writer collects what killed writers left; everywhere only when it took over a dead one's lock.
      // (`clean --execute` lists them among the rest and removes exactly its list.)
      const { removed } = await collectStaleTemp(g.dir, { everywhere: lock.replaced !== undefined });
      if (removed.length) {
        const who = lock.replaced ? `a ${lock.replaced.command ?? 'run'} that did not finish (pid ${lock.replaced.pid ?? '?'})` : 'runs that did not finish';
        io.stderr.write(`Removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by ${who}: ${removed.slice(0, 3).join(', ')}${removed.length > 3 ? ', …' : ''}\n`);
      }
    }
    const early = await opts.before?.(busy);
    if (early !== undefined) return early;
    // Only now, when the workspace is opened to work in: a proven no-op writes nothing a guardian could clean up
    // after (killed, it leaves its lock, which the next writer takes over), and spawning one costs it ~70 ms.
    if (lock) io.guard?.(g.dir);
    const pipeline = await openPipeline({
      root: g.dir,
      configFile: g.config,
      databaseUrl: io.env.DATABASE_URL || undefined,
      refresh: opts.refresh,
      // NHS_PIPELINE_HTTP_* limits, unless the caller (a test) brings its own.
      web: { ...io.web, timeouts: { ...(await timeoutsFromEnv(io.env)), ...io.web?.timeouts } },
      now: io.now,
      checkReads: io.env.NHS_PIPELINE_CHECK_READS === '1',
      ...(embedded ? { claimDatabase } : {}),
      // A reader beside a running build leaves the build log to the build, which owns what is in it now.
      saveLog: !busy,
      llm: llmSettings(io.env),
    }, opts.stages);
    const after: (() => Promise<void>)[] = [];
    let result: T;
    try {
      result = await fn({ pipeline, busy, afterClose: (f) => after.push(f) });
    } finally {
      await pipeline.close();
    }
    for (const f of after) await f();
    return result;
  } finally {
    await lock?.release();
  }
}

/** What a reader says when a build holds the workspace. */
export function busyNote(busy: LockHolder, embedded: boolean): string {
  const who = `a ${busy.command} is in progress in this workspace (pid ${busy.pid}, since ${busy.since})`;
  return embedded ? `note: ${who}; what the database holds is shown as of the last completed build` : `note: ${who}; what it has not finished yet shows as stale`;
}
