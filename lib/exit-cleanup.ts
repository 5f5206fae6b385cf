/**
 * What this process must not leave behind if it is cut short: its temporary files and the locks it holds.
 * Every temporary name is made by `tempPathFor` (lib/atomic.ts), which records it here, and every lock taken
 * by lib/lock.ts is recorded until released. A first Ctrl-C lets the build roll back and tidy up as usual;
 * a second one, a closed terminal (EPIPE) or any other early `process.exit` removes them synchronously
 * (`removeLeftovers`), since no asynchronous work runs after that.
 *
 * Removing a path that no longer exists (a temp file already renamed into place) does nothing; temporary
 * names carry this process's id and a random part, so no other process's file is ever named here.
 */
import { existsSync, rmSync } from 'node:fs';

const temps = new Set<string>();
const locks = new Set<string>();

/** A temporary file this process may create at `path`. */
export function trackTemp(path: string): void {
  // A long `watch` names many: forget those already renamed into place or removed.
  if (temps.size >= PRUNE_AT) for (const p of temps) if (!existsSync(p)) temps.delete(p);
  temps.add(path);
}

const PRUNE_AT = 2000;

/** A lock this process now holds; the returned function forgets it once released. */
export function trackLock(path: string): () => void {
  locks.add(path);
  return () => locks.delete(path);
}

/** Removes every temp file this process named and every lock it still holds; returns how many of each existed. */
export function removeLeftovers(): { temps: number; locks: number } {
  const gone = { temps: 0, locks: 0 };
  for (const [set, kind] of [[temps, 'temps'], [locks, 'locks']] as const) {
    for (const p of set) {
      try {
        rmSync(p);
        gone[kind]++;
      } catch {
        // already renamed into place, released or removed: nothing left
      }
    }
    set.clear();
  }
  return gone;
}
