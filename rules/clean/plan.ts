/**
 * Orphans: everything in the workspace's stores that the current config would not produce, for `clean`.
 *
 * Each stage's store lists its own orphans (./stage.ts): manifests of unconfigured periods, Parquet and
 * Markdown of tables no longer produced, the database's tables, rows and registry rows. Besides the stages,
 * clean looks at the failure ledger, the model's answers (of publications no longer configured), the download
 * store (blobs no manifest references) and temporary files of processes that no longer run. What the config produces is read from the artifacts themselves: the
 * configured periods, the tables their canonical manifests name, the blobs their download manifests reference.
 * Things nhs-pipeline did not create are listed as unknown and left alone.
 *
 * {@link findOrphans} only reads. {@link removeOrphans} deletes exactly a plan's list: the database in one
 * transaction first, then files, never following a path out of the workspace. It then rewrites the Parquet of
 * kept tables that lost rows, and the catalog, so that a build afterwards has nothing to do.
 */
import { readFile, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink, TargetResult } from '../../engine/index.ts';
import { session, stageRules } from '../build.ts';
import { ledgerDir } from '../ledger.ts';
import { CLEAN_STORES, type CleanStore, type NotOurs, type OrphanItem, type OrphanQuery, type Stage, type StageOrphans, type StageRule } from '../stage.ts';
import type { CanonicalBody } from '../stages/canonical.ts';
import type { DownloadBody } from '../stages/download.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { answerOrphans } from '../stores/llm-answers.ts';
import type { Workspace } from '../workspace.ts';
import { downloadOrphans, ledgerOrphans, tempOrphans, type StaleLock } from './other-stores.ts';
import { unlinkInside } from './files.ts';

export { CLEAN_STORES, type CleanStore, type OrphanItem };
export type { StaleLock };

/** One store's orphans by kind (e.g. manifests: download, draft…), and what was found there but not created by us. */
export interface StoreOrphans {
  store: CleanStore;
  skipped: boolean;
  kinds: Record<string, OrphanItem[]>;
  unknown: OrphanItem[];
  /** Why part of the store is left alone (a related store skipped, a folder linking out of the workspace). */
  note?: string;
}

/** What `clean` found (JSON-able), and how to remove exactly that. */
export interface OrphanPlan {
  stores: StoreOrphans[];
  /** Targets rewritten after removal so a build has nothing left to do (Parquet of kept tables that lose rows, catalog). */
  republish: string[];
  /** In the database but not this workspace's: other workspaces' (named) and, on a shared server, claimed by nobody. */
  notOurs: NotOurs;
  /** Not JSON: the removal steps, in order. */
  removal: { remove: ((signal: AbortSignal) => Promise<void>)[]; files: string[]; folders: string[]; staleLock?: StaleLock };
}

export interface FindOptions {
  skip: ReadonlySet<CleanStore>;
  /** Drop staging tables nhs-pipeline never registered instead of reporting them as unknown. */
  includeUnregistered: boolean;
  /** Whether a process id is running (temporary files of running processes are not stale). */
  alive: (pid: number) => boolean;
  /** Found by {@link peekStaleLock} before the caller took the lock itself. */
  staleLock?: StaleLock;
}

/** Lists every orphan of the workspace; reads only. Two calls on an unchanged workspace return equal plans. */
export async function findOrphans(ws: Workspace, stages: readonly Stage[], opts: FindOptions): Promise<OrphanPlan> {
  const root = await realpath(ws.paths.root);
  const rules = stageRules(ws, stages);
  const { periods, tables, shas } = await whatTheConfigProduces(ws, rules);
  const q: OrphanQuery = { root, periods, tables, skip: opts.skip, includeUnregistered: opts.includeUnregistered };
  const reports: StageOrphans[] = [];
  for (const r of rules) if (r.store.orphans) reports.push(await r.store.orphans(q));
  const grains = new Map(stages.map((x) => [x.name, x.grain]));
  const manifestStages = rules.filter((r) => r.store instanceof ManifestStore).map((r) => r.name);
  reports.push(await ledgerOrphans(q, ledgerDir(join(root, 'manifests')), grains, manifestStages));
  reports.push(await answerOrphans(q));
  reports.push(await downloadOrphans(q, await ws.downloads(), shas));
  reports.push(await tempOrphans(q, opts));
  return assemble(reports, opts, stages);
}

/** The configured periods, the tables their canonical manifests name, the blobs their download manifests reference. */
async function whatTheConfigProduces(ws: Workspace, rules: StageRule[]) {
  const periods = new Set(ws.rawConfig.publications.flatMap((p) => p.periods.map((e) => `${p.code}/${e.period.label}`)));
  const tables = new Set<string>();
  const shas = new Set<string>();
  const read = <B>(stage: string, id: string) => rules.find((r) => r.name === stage)?.store.read(id).catch(() => undefined) as Promise<B | undefined>;
  for (const id of periods) {
    const pub = id.slice(0, id.indexOf('/'));
    for (const t of (await read<CanonicalBody>('canonical', id))?.tables ?? []) tables.add(`${pub}/${t.table}`);
    const download = await read<DownloadBody>('download', id);
    for (const f of [...(download?.files ?? []), ...(download?.page ? [download.page] : [])]) shas.add(f.sha256);
  }
  // The landing pages `discover` reads are kept too: asked again with a conditional request, they cost a 304.
  const store = await ws.downloads();
  for (const p of ws.rawConfig.publications) {
    const page = p.landingPage && store.lookup(p.landingPage);
    if (page) shas.add(page.sha256);
  }
  return { periods, tables, shas };
}

function assemble(reports: StageOrphans[], opts: FindOptions, stages: readonly Stage[]): OrphanPlan {
  const stores = new Map<CleanStore, StoreOrphans>(CLEAN_STORES.map((s) => [s, { store: s, skipped: opts.skip.has(s), kinds: {}, unknown: [] }]));
  const plan: OrphanPlan = {
    stores: [...stores.values()],
    republish: [],
    notOurs: { others: { tables: 0, registryRows: 0, workspaces: [] }, unclaimed: { tables: 0, registryRows: 0 } },
    removal: { remove: [], files: [], folders: [], staleLock: opts.staleLock },
  };
  const republish = new Set<string>();
  for (const r of reports) {
    for (const f of r.found) (stores.get(f.store)!.kinds[f.kind] ??= []).push(...f.items);
    for (const u of r.unknown) stores.get(u.store)!.unknown.push(...u.items);
    for (const n of r.notes) stores.get(n.store)!.note ??= n.text;
    plan.removal.files.push(...r.files);
    plan.removal.folders.push(...r.folders);
    if (r.remove) plan.removal.remove.push(r.remove);
    for (const k of r.republish ?? []) republish.add(k);
    if (r.notOurs) plan.notOurs = r.notOurs;
  }
  // What the workspace stages (the catalog) list changes when tables, their rows or their files go.
  const changesOutputs = ['tables', 'registry', 'parquet'].some((s) => Object.keys(stores.get(s as CleanStore)!.kinds).length > 0);
  if (changesOutputs) for (const s of stages.filter((x) => x.grain === 'workspace')) republish.add(`${s.name}:all`);
  plan.republish = [...republish].sort((a, b) => (a.endsWith(':all') ? 1 : 0) - (b.endsWith(':all') ? 1 : 0) || (a < b ? -1 : 1));
  return plan;
}

/**
 * Removes exactly what `plan` lists: the database orphans in one transaction, then (after it committed) the
 * files and emptied folders; then rewrites the targets in `plan.republish`. Each file is checked again just
 * before deletion: a regular file (never a link) inside the workspace, or it is left alone.
 * @returns how the rewritten targets ended
 */
export async function removeOrphans(ws: Workspace, stages: readonly Stage[], plan: OrphanPlan, opts: { signal: AbortSignal; jobs: number; onEvent?: EventSink }): Promise<TargetResult[]> {
  const root = await realpath(ws.paths.root);
  const r = plan.removal;
  for (const remove of r.remove) await remove(opts.signal);
  for (const path of r.files) {
    opts.signal.throwIfAborted();
    await unlinkInside(path, root);
  }
  if (r.staleLock) {
    // Taking the lock replaced a stale one already; remove it only if that dead holder is still there.
    const still = await peekStaleLock(ws.paths.cache, (pid) => pid !== r.staleLock!.pid);
    if (still?.pid === r.staleLock.pid) await rm(r.staleLock.path, { force: true });
  }
  for (const dir of [...new Set(r.folders)].sort().reverse()) await rmdir(dir).catch(() => undefined);
  if (plan.republish.length === 0) return [];
  const s = session(ws, stages, { jobs: opts.jobs, signal: opts.signal, onEvent: opts.onEvent });
  const last = plan.republish.filter((k) => k.endsWith(':all'));
  const tables = await s.build(plan.republish.filter((k) => !k.endsWith(':all')));
  return [...tables, ...(opts.signal.aborted ? [] : await s.build(last))];
}

/** The build lock left by a process that no longer runs, if any (read before taking the lock, which replaces it). */
export async function peekStaleLock(cacheDir: string, alive: (pid: number) => boolean): Promise<StaleLock | undefined> {
  const path = join(cacheDir, 'build.lock');
  try {
    const { lstat } = await import('node:fs/promises');
    const st = await lstat(path);
    const holder = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown };
    if (!st.isFile() || typeof holder.pid !== 'number' || alive(holder.pid)) return undefined;
    return { path, pid: holder.pid, bytes: st.size };
  } catch {
    return undefined;
  }
}
