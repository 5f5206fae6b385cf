/** Opening the workspace for a command, under the lock when it will write. */
import { join } from 'node:path';
import { acquireLock, waitWhileLocked, type Lock, type LockHolder } from '../engine/index.ts';
import { openWorkspace, type Workspace } from '../rules/index.ts';
import type { GlobalOptions } from './args.ts';
import type { Io } from './io.ts';

export type OpenWorkspace = Workspace & { close(): Promise<void> };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(t), reject(signal.reason));
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Takes the workspace lock when writing, or always with the embedded database (waiting, and saying so, while another command holds it), then opens the workspace. */
export async function withWorkspace<T>(io: Io, g: GlobalOptions, opts: { refresh?: boolean; lock: boolean; command: string }, fn: (ws: OpenWorkspace) => Promise<T>): Promise<T> {
  let lock: Lock | undefined;
  const lockPath = join(g.dir, '.cache', 'build.lock');
  const onWait = (h: LockHolder) => io.stderr.write(`Waiting for another ${h.command} in this workspace (pid ${h.pid}, since ${h.since}) to finish…\n`);
  if (opts.lock) {
    lock = await acquireLock(lockPath, { pid: process.pid, since: io.now().toISOString(), command: opts.command }, { signal: io.signal, sleep, onWait });
  } else if (!io.env.DATABASE_URL) {
    // The embedded database can be open in one process only: a reader waits for a running build.
    await waitWhileLocked(lockPath, { signal: io.signal, sleep, onWait });
  }
  try {
    const ws = await openWorkspace({ root: g.dir, configFile: g.config, databaseUrl: io.env.DATABASE_URL || undefined, refresh: opts.refresh, web: io.web, now: io.now });
    try {
      return await fn(ws);
    } finally {
      await ws.close();
    }
  } finally {
    await lock?.release();
  }
}
