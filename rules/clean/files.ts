/**
 * Walking the workspace's folders for `clean`, safely: never following a link or a folder out of the workspace,
 * never descending into the embedded database, and deleting only regular files inside the workspace.
 */
import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Dirent } from 'node:fs';
import { tempWriterPid } from '../../lib/atomic.ts';
import type { CleanStore, OrphanItem, StageOrphans } from '../stage.ts';

/** Collects what a walk refused (a folder resolving out of the workspace) and what it found but does not own. */
export interface Walk {
  root: string;
  /** Set when part of a store is left alone, with why. */
  note?: string;
  unknown: { id: string; bytes?: number }[];
}

/** Entries of `dir` (without following links), sorted; none when it is missing or links out of the workspace. */
export async function listInside(dir: string, walk: Walk): Promise<Dirent[]> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return [];
  }
  if (real !== walk.root && !real.startsWith(walk.root + sep)) {
    walk.note = `${dir} resolves to ${real}, outside the workspace: left alone`;
    return [];
  }
  if ((await lstat(dir)).isSymbolicLink()) {
    walk.unknown.push({ id: relative(walk.root, dir) });
    return [];
  }
  return (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Regular files under `top`, recursively, never descending into links. */
export async function walkFiles(top: string, walk: Walk): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listInside(top, walk)) {
    const path = join(top, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(path, walk)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** What a store says of one of its files: its own and kept, its own and an orphan, or not its own (reported). */
export type FileVerdict = 'keep' | 'orphan' | 'unknown';

/**
 * Walks a store laid out as `dir/<publication>/<file>` (manifests, the ledger, the model's answers): temporary files
 * are skipped, anything but a folder at the first level is unknown, and `judge` says what each file is. Orphans are
 * added to `items` and to what `out` deletes; unknown files to `walk.unknown`.
 */
export async function walkPublicationFiles(
  dir: string,
  walk: Walk,
  items: OrphanItem[],
  out: StageOrphans,
  judge: (publication: string, file: Dirent, path: string) => FileVerdict | Promise<FileVerdict>,
): Promise<void> {
  for (const pub of await listInside(dir, walk)) {
    const pubDir = join(dir, pub.name);
    if (!pub.isDirectory()) {
      if (!isTemp(pub.name)) walk.unknown.push({ id: rel(walk.root, pubDir), bytes: await sizeOf(pubDir) });
      continue;
    }
    for (const f of await listInside(pubDir, walk)) {
      const path = join(pubDir, f.name);
      if (isTemp(f.name)) continue;
      const verdict = await judge(pub.name, f, path);
      if (verdict === 'unknown') walk.unknown.push({ id: rel(walk.root, path), bytes: await sizeOf(path) });
      else if (verdict === 'orphan') {
        items.push({ id: rel(walk.root, path), bytes: await sizeOf(path) });
        out.files.push(path);
        out.folders.push(pubDir);
      }
    }
  }
}

/** Puts what a walk of `store` found into `out`: the orphans as `kind`, the unknown files, and why part was left alone. */
export function reportWalk(out: StageOrphans, store: CleanStore, kind: string, items: OrphanItem[], walk: Walk): StageOrphans {
  if (items.length) out.found.push({ store, kind, items });
  if (walk.unknown.length) out.unknown.push({ store, items: walk.unknown });
  if (walk.note) out.notes.push({ store, text: walk.note });
  return out;
}

/** A path relative to the workspace root, with `/` on every platform (how `clean` names what it lists). */
export const rel = (root: string, path: string) => relative(root, path).split(sep).join('/');

/** Temporary files are the temp-file collector's, not a store's: stores skip them. */
export const isTemp = (name: string) => tempWriterPid(name) !== undefined;

/** Size of a path (not following links). */
export async function sizeOf(path: string): Promise<number> {
  return (await lstat(path)).size;
}

/** Deletes a regular file inside `root`; a link, a folder, or a path resolving elsewhere is refused. */
export async function unlinkInside(path: string, root: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // already gone
    throw err;
  }
  const parent = await realpath(dirname(path));
  if (!st.isFile() || !(parent === root || parent.startsWith(root + sep))) {
    throw new Error(`refusing to delete ${path}: it is not a regular file inside the workspace ${root}; nothing else was removed after it`);
  }
  await unlink(path);
}
