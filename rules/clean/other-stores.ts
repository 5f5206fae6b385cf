/**
 * What `clean` finds outside the stages' own stores: failure records of targets no longer in the graph,
 * downloaded files no download manifest references, temporary files of processes that no longer run, and a
 * lock left by a dead process.
 */
import { basename, dirname, join } from 'node:path';
import { tempWriterPid } from '../../lib/atomic.ts';
import type { DownloadStore } from '../../lib/web/store.ts';
import { noOrphans, type Grain, type OrphanItem, type OrphanQuery, type StageOrphans } from '../stage.ts';
import { isTemp, listInside, rel, reportWalk, sizeOf, walkFiles, walkPublicationFiles, type Walk } from './files.ts';

/** A `.cache/build.lock` whose holder no longer runs. */
export interface StaleLock { path: string; pid: number; bytes: number }

const SHA_DIR = /^[0-9a-f]{64}$/;

/**
 * `manifests/`: anything that is neither a manifest stage's folder (those list their own orphans), the failure
 * ledger, the model's answers (`llm`, rules/stores/llm-answers.ts) nor the workspace id is unknown; in the ledger,
 * records of targets no longer in the graph are orphans.
 */
export async function ledgerOrphans(q: OrphanQuery, dir: string, grains: Map<string, Grain>, manifestStages: string[]): Promise<StageOrphans> {
  const out = noOrphans();
  if (q.skip.has('manifests')) return out;
  const walk: Walk = { root: q.root, unknown: [] };
  const manifests = dirname(dir);
  for (const e of await listInside(manifests, walk)) {
    // `archive/` holds the records of archived periods: never an orphan, whatever the config says (rules/archive/record.ts).
    if (e.name === '.workspace-id' || e.name === 'failures' || e.name === 'archive' || e.name === 'llm' || isTemp(e.name) || (e.isDirectory() && manifestStages.includes(e.name))) continue;
    walk.unknown.push({ id: rel(q.root, join(manifests, e.name)), bytes: await sizeOf(join(manifests, e.name)) });
  }
  const items: OrphanItem[] = [];
  for (const ruleDir of await listInside(dir, walk)) {
    const grain = grains.get(ruleDir.name);
    if (!ruleDir.isDirectory() || !grain) {
      if (!isTemp(ruleDir.name)) walk.unknown.push({ id: rel(q.root, join(dir, ruleDir.name)) });
      continue;
    }
    if (grain === 'workspace') continue; // its one record always stays
    await walkPublicationFiles(join(dir, ruleDir.name), walk, items, out, (pub, f) => {
      if (!f.isFile() || !f.name.endsWith('.json')) return 'unknown';
      const id = `${pub}/${decodeURIComponent(f.name.slice(0, -'.json'.length))}`;
      return (grain === 'period' ? q.periods : q.tables).has(id) ? 'keep' : 'orphan';
    });
  }
  return reportWalk(out, 'manifests', 'failures', items, walk);
}

/** `downloads/<sha256>/<name>` blobs and `index.json` entries that no configured period's download manifest references. */
export async function downloadOrphans(q: OrphanQuery, store: DownloadStore, shas: ReadonlySet<string>): Promise<StageOrphans> {
  const out = noOrphans();
  if (q.skip.has('downloads')) return out;
  const walk: Walk = { root: q.root, unknown: [] };
  const dir = join(q.root, 'downloads');
  const blobs: OrphanItem[] = [];
  for (const d of await listInside(dir, walk)) {
    const path = join(dir, d.name);
    if (d.name === 'index.json' || isTemp(d.name)) continue;
    if (!d.isDirectory() || !SHA_DIR.test(d.name)) {
      walk.unknown.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
      continue;
    }
    if (shas.has(d.name)) continue;
    for (const f of await listInside(path, walk)) {
      if (isTemp(f.name)) continue;
      if (!f.isFile()) {
        walk.unknown.push({ id: rel(q.root, join(path, f.name)), bytes: await sizeOf(join(path, f.name)) });
        continue;
      }
      blobs.push({ id: rel(q.root, join(path, f.name)), bytes: await sizeOf(join(path, f.name)) });
      out.files.push(join(path, f.name));
    }
    out.folders.push(path);
  }
  if (blobs.length) out.found.push({ store: 'downloads', kind: 'blobs', items: blobs });
  if (walk.note === undefined) {
    const urls = store.entries().filter((x) => !shas.has(x.sha256)).map((e) => e.url);
    if (urls.length) {
      out.found.push({ store: 'downloads', kind: 'index', items: urls.map((id) => ({ id })) });
      out.remove = () => store.remove(urls);
    }
  }
  if (walk.unknown.length) out.unknown.push({ store: 'downloads', items: walk.unknown });
  if (walk.note) out.notes.push({ store: 'downloads', text: walk.note });
  return out;
}

/** Temporary files of processes that no longer run, anywhere in the workspace's own folders, and a stale lock. */
export async function tempOrphans(q: OrphanQuery, opts: { alive: (pid: number) => boolean; staleLock?: StaleLock }): Promise<StageOrphans> {
  const out = noOrphans();
  if (q.skip.has('temp')) return out;
  const walk: Walk = { root: q.root, unknown: [] };
  const cache = join(q.root, '.cache');
  const items: OrphanItem[] = [];
  for (const top of ['manifests', 'output', 'downloads', '.cache'].map((d) => join(q.root, d))) {
    for (const path of await walkFiles(top, walk)) {
      const pid = tempWriterPid(basename(path));
      const inCacheTmp = dirname(path) === join(cache, 'tmp');
      if (pid !== undefined ? !opts.alive(pid) : inCacheTmp) {
        items.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
        out.files.push(path);
      }
    }
  }
  if (items.length) out.found.push({ store: 'temp', kind: 'temp', items });
  if (opts.staleLock) out.found.push({ store: 'temp', kind: 'lock', items: [{ id: `${rel(q.root, opts.staleLock.path)} (pid ${opts.staleLock.pid})`, bytes: opts.staleLock.bytes }] });
  if (walk.note) out.notes.push({ store: 'temp', text: walk.note });
  return out;
}
