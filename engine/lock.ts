/**
 * The workspace lock: one build at a time per workspace. A second build waits (saying so once) until the
 * first ends; a lock left by a process that no longer exists is taken over.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface LockHolder { pid: number; since: string; command: string }
export interface Lock { release(): Promise<void> }

export async function acquireLock(
  path: string,
  me: LockHolder,
  opts: { signal: AbortSignal; onWait?: (holder: LockHolder) => void; sleep: (ms: number, signal: AbortSignal) => Promise<void> },
): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    opts.signal.throwIfAborted();
    // Write the holder to a private file, then hard-link it into place: the lock appears atomically with
    // its content, so nobody ever reads a half-written holder and mistakes it for a stale lock.
    const tmp = `${path}.${me.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(me));
    try {
      await link(tmp, path);
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const holder = await readHolder(path);
    if (!holder || !isProcessAlive(holder.pid) || holder.pid === me.pid) {
      await removeIfStill(path, holder);
      continue;
    }
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    await opts.sleep(200, opts.signal);
  }
}

/**
 * Removes a stale lock only if it is still the one we judged stale. Two processes may judge the same lock
 * stale at once: the first removes it and takes the lock, and a plain `rm` by the second would then remove
 * the first one's *live* lock. So the lock is moved aside atomically and checked; if it turns out to be
 * someone's fresh lock, it is put back.
 */
export async function removeIfStill(path: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it first
    throw err;
  }
  const moved = await readHolder(aside);
  const same = moved === undefined ? stale === undefined : stale !== undefined && moved.pid === stale.pid && moved.since === stale.since;
  if (!same) await link(aside, path).catch(() => undefined); // a live lock: give it back
  await rm(aside, { force: true });
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * For readers that must not run beside a writer but need not exclude each other (e.g. `status` on an
 * embedded database that only one process may open): waits while a live process holds the lock, without
 * taking it and without touching a stale one.
 */
export async function waitWhileLocked(
  path: string,
  opts: { signal: AbortSignal; onWait?: (holder: LockHolder) => void; sleep: (ms: number, signal: AbortSignal) => Promise<void> },
): Promise<void> {
  let told = false;
  for (;;) {
    opts.signal.throwIfAborted();
    const holder = await readHolder(path);
    if (!holder || !isProcessAlive(holder.pid) || holder.pid === process.pid) return;
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    await opts.sleep(200, opts.signal);
  }
}
