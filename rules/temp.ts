/**
 * Collecting the temporary files of builds that were killed (SIGKILL, power loss) before their rename: every
 * file is written as `<name>.tmp-<pid>-<hex>` beside its target (lib/atomic.ts), and a writer that dies leaves
 * it there, in `manifests/` (the folder users commit), `output/`, `downloads/` and `.cache/tmp/` (up to a
 * whole table's CSV export). `clean` lists and removes them; a build removes them too, cheaply:
 *
 * - every build that writes looks in `.cache` and `.cache/tmp`, where readers (which take no lock) leave
 *   theirs: two `readdir`s, nothing recursive (0.3 ms);
 * - a build that takes over a lock left by a dead process (the sign that one did not finish) walks every
 *   store, as `clean` does. A killed writer always leaves its lock, so nothing it left escapes this walk,
 *   and a build after a clean exit pays nothing for it. (Measured: 3 ms for the bundled example, 0.76 s for
 *   a workspace of 36,000 files, which is why it is not done on every build.)
 *
 * Only files whose writer no longer runs are removed; the embedded database's folder is never entered (opening the
 * database removes the sort spills a killed process left in it: lib/db/pglite.ts).
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempWriterPid } from '../lib/atomic.ts';
import { isProcessAlive } from '../lib/process.ts';
import { listInside, unlinkInside, walkFiles, type Walk } from './clean/files.ts';

/** The stores a killed writer may have left temporary files in (the walk `clean` does). */
const STORES = ['manifests', 'output', 'downloads', '.cache'];
/** Flat folders looked at by every build. */
const FLAT = ['.cache', join('.cache', 'tmp'), join('.cache', 'noop-proof'), join('.cache', 'build-log')];

export interface Collected {
  /** Removed files, relative to the workspace. */
  removed: string[];
  /** Whether every store was walked (after an unclean exit) or only the flat folders. */
  everywhere: boolean;
}

/**
 * Removes temporary files of processes that no longer run: everywhere when `everywhere` (a lock of a dead
 * process was taken over), else in the flat folders only. `alive` defaults to the real liveness check.
 */
export async function collectStaleTemp(dir: string, opts: { everywhere: boolean; alive?: (pid: number) => boolean }): Promise<Collected> {
  const root = await realpath(dir).catch(() => undefined);
  if (root === undefined) return { removed: [], everywhere: opts.everywhere };
  const alive = opts.alive ?? ((pid: number) => pid === process.pid || isProcessAlive(pid));
  const walk: Walk = { root, unknown: [] };
  const paths: string[] = [];
  if (opts.everywhere) {
    for (const store of STORES) paths.push(...(await walkFiles(join(root, store), walk)));
  } else {
    for (const dir of FLAT) for (const e of await listInside(join(root, dir), walk)) if (e.isFile()) paths.push(join(root, dir, e.name));
  }
  const cacheTmp = join(root, '.cache', 'tmp');
  const removed: string[] = [];
  for (const path of paths) {
    const pid = tempWriterPid(basename(path));
    // `.cache/tmp` holds nothing but temporary files: one whose writer cannot be told is garbage too.
    const stale = pid !== undefined ? !alive(pid) : dirname(path) === cacheTmp;
    if (!stale) continue;
    try {
      await unlinkInside(path, root);
      removed.push(path.slice(root.length + 1));
    } catch {
      // Gone already (another build collected it), or not ours to delete: `clean` will say which.
    }
  }
  return { removed, everywhere: opts.everywhere };
}
