/** `clean` for a manifest stage: manifests of periods no longer configured, and files it did not write. */
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isTemp, listInside, sizeOf, type Walk } from '../clean/files.ts';
import { noOrphans, type OrphanItem, type OrphanQuery, type StageOrphans } from '../stage.ts';
import { MANIFEST_HEADER, type ManifestStore } from './manifest.ts';

const HEADER = MANIFEST_HEADER.slice(0, MANIFEST_HEADER.indexOf('.') + 1);

export function manifestOrphans(store: Pick<ManifestStore<object>, 'stage'>): (q: OrphanQuery) => Promise<StageOrphans> {
  return async (q) => {
    const out = noOrphans();
    if (q.skip.has('manifests')) return out;
    const walk: Walk = { root: q.root, unknown: [] };
    const dir = join(q.root, 'manifests', store.stage);
    const items: OrphanItem[] = [];
    for (const pub of await listInside(dir, walk)) {
      const pubDir = join(dir, pub.name);
      if (!pub.isDirectory()) {
        if (!isTemp(pub.name)) walk.unknown.push({ id: rel(q.root, pubDir), bytes: await sizeOf(pubDir) });
        continue;
      }
      for (const f of await listInside(pubDir, walk)) {
        const path = join(pubDir, f.name);
        if (isTemp(f.name)) continue;
        const ours = f.isFile() && f.name.endsWith('.yaml') && (await readFile(path, 'utf8').catch(() => '')).startsWith(HEADER);
        if (!ours) {
          walk.unknown.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
          continue;
        }
        if (q.periods.has(`${pub.name}/${f.name.slice(0, -'.yaml'.length)}`)) continue;
        items.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
        out.files.push(path);
        out.folders.push(pubDir);
      }
    }
    if (items.length) out.found.push({ store: 'manifests', kind: store.stage, items });
    if (walk.unknown.length) out.unknown.push({ store: 'manifests', items: walk.unknown });
    if (walk.note) out.notes.push({ store: 'manifests', text: walk.note });
    return out;
  };
}

export const rel = (root: string, path: string) => relative(root, path).split(sep).join('/');
