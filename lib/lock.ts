/**
 * The workspace lock: one writer at a time per workspace. A second build waits (saying so once) until the
 * first ends; a lock left by a process that no longer exists is taken over. Readers never wait: they ask
 * who holds it ({@link lockHolder}) or try once ({@link tryAcquireLock}).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from './atomic.ts';
import { isProcessAlive } from './process.ts';
import { trackLock } from './exit-cleanup.ts';

export interface LockHolder { pid: number; since: string; command: string }
export interface Lock {
  release(): Promise<void>;
  /** Set when this lock was taken over from a process that no longer runs: that one did not finish cleanly. */
  replaced?: Partial<LockHolder>;
}

/** Takes the lock, waiting (and saying so once, through `onWait`) while another live process holds it. */
export async function acquireLock(
  path: string,
  me: LockHolder,
  opts: { signal: AbortSignal; onWait?: (holder: LockHolder) => void; sleep: (ms: number, signal: AbortSignal) => Promise<void> },
): Promise<Lock> {
  let told = false;
  for (;;) {
    opts.signal.throwIfAborted();
    const got = await tryAcquireLock(path, me);
    if ('release' in got) return got;
    if (!told) {
      opts.onWait?.(got.holder);
      told = true;
    }
    await opts.sleep(200, opts.signal);
  }
}

/**
 * One attempt: the lock, or the live process that holds it. A lock left by a process that no longer runs
 * is taken over. Readers that must briefly have the workspace to themselves (opening the embedded database)
 * use this, so they never wait for a build.
 */
export async function tryAcquireLock(path: string, me: LockHolder): Promise<Lock | { holder: LockHolder }> {
  await mkdir(dirname(path), { recursive: true });
  let replaced: Partial<LockHolder> | undefined;
  for (;;) {
    // Write the holder to a private file, then hard-link it into place: the lock appears atomically with
    // its content, so nobody ever reads a half-written holder and mistakes it for a stale lock.
    const tmp = tempPathFor(path);
    await writeFile(tmp, JSON.stringify(me));
    try {
      await link(tmp, path);
      const forget = trackLock(path);
      return {
        release: async () => {
          await rm(path, { force: true });
          forget();
        },
        ...(replaced ? { replaced } : {}),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const holder = await readHolder(path);
    if (holder && isProcessAlive(holder.pid) && holder.pid !== me.pid) return { holder };
    replaced = holder ?? {};
    await removeIfStill(path, holder);
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

/** The live process holding the lock, if any (a lock left by a dead process counts as free). Never waits. */
export async function lockHolder(path: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path);
  return holder && isProcessAlive(holder.pid) && holder.pid !== process.pid ? holder : undefined;
}
