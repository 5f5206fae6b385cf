/** `clean` for a manifest stage: manifests of periods no longer configured, and files it did not write. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reportWalk, walkPublicationFiles, type Walk } from '../clean/files.ts';
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
    await walkPublicationFiles(dir, walk, items, out, async (pub, f, path) => {
      const ours = f.isFile() && f.name.endsWith('.yaml') && (await readFile(path, 'utf8').catch(() => '')).startsWith(HEADER);
      if (!ours) return 'unknown';
      return q.periods.has(`${pub}/${f.name.slice(0, -'.yaml'.length)}`) ? 'keep' : 'orphan';
    });
    return reportWalk(out, 'manifests', store.stage, items, walk);
  };
}

