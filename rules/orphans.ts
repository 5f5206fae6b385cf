/**
 * Orphans: everything in the workspace's stores that the current config would not produce, for `clean`.
 *
 * What the config produces is read from the artifacts themselves: the configured (publication, period) pairs, the
 * tables their canonical manifests name, and the blobs their download manifests reference. Anything else in
 * `manifests/`, `output/parquet`, `output/metadata`, `downloads/`, the `staging` schema and the registry is an
 * orphan, as are temporary files of processes that no longer exist. Things nhs-pipeline did not create (a manifest
 * without its header, a Parquet file without its record, a staging table it never registered) are listed as
 * unknown and left alone. On a database shared with other workspaces, only this workspace's tables and registry rows
 * (those recording its `manifests/.workspace-id`) can be orphans: the others' are counted once and left alone.
 *
 * {@link findOrphans} only reads. {@link removeOrphans} deletes exactly a plan's list: the database in one
 * transaction first, then files, never following a path out of the workspace. It then rewrites the Parquet of kept
 * tables that lost rows, and the catalog, so that a build afterwards has nothing to do.
 */
import { readdir, readFile, realpath, lstat, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { BuildSession, type EventSink, type TargetResult } from '../engine/index.ts';
import { deleteDbOrphans, findDbOrphans, type DbOrphans, type NotOurs } from '../lib/db/orphans.ts';
import { readParquetInfo } from '../lib/parquet/index.ts';
import type { CanonicalBody } from './canonical.ts';
import type { DownloadBody } from './download.ts';
import { failureLedger, pipelineRules } from './index.ts';
import { readManifest } from './manifest-io.ts';
import { KV_RECORD } from './parquet.ts';
import { workspaceSources } from './sources.ts';
import { manifestPath, workspaceIdPath, type Workspace, type WorkspacePaths } from './workspace.ts';

/** The stores `clean` looks at, in report order; `--skip` takes these names. */
export const CLEAN_STORES = ['manifests', 'parquet', 'metadata', 'downloads', 'tables', 'registry', 'temp'] as const;
export type CleanStore = (typeof CLEAN_STORES)[number];

/** One orphan (or unknown thing) as reported: a stable id plus its size where it has one. */
export interface OrphanItem { id: string; bytes?: number; rows?: number }

/** One store's orphans by kind (e.g. manifests: download, draft…), and what was found there but not created by us. */
export interface StoreOrphans {
  store: CleanStore;
  skipped: boolean;
  kinds: Record<string, OrphanItem[]>;
  unknown: OrphanItem[];
  /** Why part of the store is left alone (a related store skipped, a folder linking out of the workspace). */
  note?: string;
}

/** What `clean` found (JSON-able), and the exact actions that remove it. */
export interface OrphanPlan {
  stores: StoreOrphans[];
  /** Targets rewritten after removal so a build has nothing left to do (Parquet of kept tables that lose rows, catalog). */
  republish: string[];
  /** In the database but not this workspace's: other workspaces' (named) and, on a shared server, claimed by nobody. */
  notOurs: { others: NotOurs & { workspaces: string[] }; unclaimed: NotOurs };
  actions: {
    files: string[];
    /** Blob folders and manifest folders that may be left empty. */
    folders: string[];
    indexUrls: string[];
    db?: DbOrphans;
    dropUnknown: boolean;
    staleLock?: StaleLock;
  };
}

/** A `.cache/build.lock` whose holder no longer runs. */
export interface StaleLock { path: string; pid: number; bytes: number }

export interface FindOptions {
  skip: ReadonlySet<CleanStore>;
  /** Drop staging tables nhs-pipeline never registered instead of reporting them as unknown. */
  includeUnregistered: boolean;
  /** Whether a process id is running (temporary files of running processes are not stale). */
  alive: (pid: number) => boolean;
  /** Found by {@link peekStaleLock} before the caller took the lock itself. */
  staleLock?: StaleLock;
}

const PERIOD_STAGES = ['download', 'draft', 'enriched', 'canonical'] as const;
const LEDGER_PERIOD_RULES = new Set(['download', 'draft', 'enriched', 'canonical', 'loaded']);
/** `<file>.tmp-<pid>-<hex>` (atomic writes, downloads), `<file>.tmp-<pid>` (ledger, stat cache), `.tmp-<pid>-<hex>`. */
const TEMP_NAME = /\.tmp-(\d+)(?:-[0-9a-f]+)?$/;
const LOCK_TEMP = /^build\.lock\.(\d+)\.tmp$/;
const SHA_DIR = /^[0-9a-f]{64}$/;
const MANIFEST_HEADER = '# Written by nhs-pipeline.';

const pair = (a: string, b: string) => `${a}\u0000${b}`;

/** The build lock left by a process that no longer runs, if any (read before taking the lock, which replaces it). */
export async function peekStaleLock(paths: WorkspacePaths, alive: (pid: number) => boolean): Promise<StaleLock | undefined> {
  const path = join(paths.cache, 'build.lock');
  try {
    const st = await lstat(path);
    const holder = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown };
    if (!st.isFile() || typeof holder.pid !== 'number' || alive(holder.pid)) return undefined;
    return { path, pid: holder.pid, bytes: st.size };
  } catch {
    return undefined;
  }
}

/** Lists every orphan of the workspace; reads only. Two calls on an unchanged workspace return equal plans. */
export async function findOrphans(ws: Workspace, opts: FindOptions): Promise<OrphanPlan> {
  const root = await realpath(ws.paths.root);
  const configured = new Set(ws.config.publications.flatMap((p) => p.periods.map((e) => pair(p.code, e.period.label))));
  const keepTables: { table: string; publication: string }[] = [];
  const shas = new Set<string>();
  for (const pub of ws.config.publications) {
    for (const { period } of pub.periods) {
      const canonical = await readManifest<CanonicalBody>(manifestPath(ws, 'canonical', pub.code, period.label));
      for (const t of canonical?.body.tables ?? []) keepTables.push({ table: t.table, publication: pub.code });
      const download = await readManifest<DownloadBody>(manifestPath(ws, 'download', pub.code, period.label));
      for (const f of [...(download?.body.files ?? []), ...(download?.body.page ? [download.body.page] : [])]) shas.add(f.sha256);
    }
  }
  const defined = new Set(keepTables.map((t) => pair(t.publication, t.table)));
  const definedNames = new Set(keepTables.map((t) => t.table));
  const none = () => ({ tables: 0, registryRows: 0 });
  const plan: OrphanPlan = { stores: [], republish: [], notOurs: { others: { ...none(), workspaces: [] }, unclaimed: none() }, actions: { files: [], folders: [], indexUrls: [], dropUnknown: false } };
  const rel = (p: string) => relative(ws.paths.root, p).split(sep).join('/');
  const store = (name: CleanStore): StoreOrphans => {
    const s: StoreOrphans = { store: name, skipped: opts.skip.has(name), kinds: {}, unknown: [] };
    plan.stores.push(s);
    return s;
  };
  const add = async (s: StoreOrphans, kind: string, path: string, extra: Partial<OrphanItem> = {}) => {
    (s.kinds[kind] ??= []).push({ id: rel(path), bytes: (await lstat(path)).size, ...extra });
    plan.actions.files.push(path);
  };
  const unknown = async (s: StoreOrphans, path: string) => s.unknown.push({ id: rel(path), bytes: (await lstat(path)).size });
  /** Entries of a store folder, or none when it is missing, skipped, or links out of the workspace. */
  const entries = async (s: StoreOrphans, dir: string) => (s.skipped ? [] : listInside(dir, root, s));

  // manifests/<stage>/<pub>/<period>.yaml and manifests/failures/<rule>/<pub>/<id>.json
  const manifests = store('manifests');
  const stageOrder = (n: string) => [...PERIOD_STAGES, 'failures'].indexOf(n as never) >>> 0; // unknown names last
  for (const stage of (await entries(manifests, ws.paths.manifests)).sort((a, b) => stageOrder(a.name) - stageOrder(b.name))) {
    const stageDir = join(ws.paths.manifests, stage.name);
    const isStage = (PERIOD_STAGES as readonly string[]).includes(stage.name);
    if (stageDir === workspaceIdPath(ws.paths)) continue; // the workspace's identity: never an orphan
    if (!stage.isDirectory() || (!isStage && stage.name !== 'failures')) {
      if (!isTemp(stage.name)) await unknown(manifests, stageDir);
      continue;
    }
    const groups = stage.name === 'failures' ? await subfolders(stageDir, root, manifests) : [{ dir: stageDir, rule: stage.name }];
    for (const { dir, rule } of groups) {
      for (const pub of await listInside(dir, root, manifests)) {
        const pubDir = join(dir, pub.name);
        if (!pub.isDirectory()) {
          if (!isTemp(pub.name)) await unknown(manifests, pubDir);
          continue;
        }
        for (const f of await listInside(pubDir, root, manifests)) {
          const path = join(pubDir, f.name);
          if (isTemp(f.name)) continue;
          const ext = stage.name === 'failures' ? '.json' : '.yaml';
          const id = f.name.endsWith(ext) ? decodeURIComponent(f.name.slice(0, -ext.length)) : undefined;
          const ours = f.isFile() && id !== undefined && (stage.name === 'failures' ? ledgerRuleKnown(rule) : await hasManifestHeader(path));
          if (!ours) {
            await unknown(manifests, path);
            continue;
          }
          const keep = (rule === 'parquet' ? defined.has(pair(pub.name, id!)) : configured.has(pair(pub.name, id!)));
          if (keep) continue;
          await add(manifests, stage.name === 'failures' ? 'failures' : stage.name, path);
          plan.actions.folders.push(pubDir);
        }
      }
    }
  }

  // output/parquet/<table>.parquet and output/metadata/<table>.md
  const parquet = store('parquet');
  for (const f of await entries(parquet, join(ws.paths.output, 'parquet'))) {
    const path = join(ws.paths.output, 'parquet', f.name);
    if (isTemp(f.name)) continue;
    const table = f.name.endsWith('.parquet') ? f.name.slice(0, -'.parquet'.length) : undefined;
    if (table !== undefined && definedNames.has(table) && f.isFile()) continue;
    if (table !== undefined && f.isFile() && (await readParquetInfo(path).catch(() => undefined))?.kv[KV_RECORD]) await add(parquet, 'parquet', path);
    else await unknown(parquet, path);
  }
  const metadata = store('metadata');
  for (const f of await entries(metadata, join(ws.paths.output, 'metadata'))) {
    const path = join(ws.paths.output, 'metadata', f.name);
    if (isTemp(f.name)) continue;
    const table = f.name.endsWith('.md') ? f.name.slice(0, -'.md'.length) : undefined;
    if (table !== undefined && definedNames.has(table) && f.isFile()) continue;
    if (table !== undefined && f.isFile() && (await isOurMarkdown(path, table))) await add(metadata, 'metadata', path);
    else await unknown(metadata, path);
  }

  // downloads/<sha256>/<name> and the index.json entries pointing at them
  const downloads = store('downloads');
  for (const d of await entries(downloads, ws.paths.downloads)) {
    const path = join(ws.paths.downloads, d.name);
    if (d.name === 'index.json' || isTemp(d.name)) continue;
    if (!d.isDirectory() || !SHA_DIR.test(d.name)) {
      await unknown(downloads, path);
      continue;
    }
    if (shas.has(d.name)) continue;
    for (const f of await listInside(path, root, downloads)) {
      if (f.isFile() && !isTemp(f.name)) await add(downloads, 'blobs', join(path, f.name));
      else if (!isTemp(f.name)) await unknown(downloads, join(path, f.name));
    }
    plan.actions.folders.push(path);
  }
  if (!downloads.skipped && downloads.note === undefined) {
    for (const e of ws.store.entries().filter((x) => !shas.has(x.sha256))) {
      (downloads.kinds.index ??= []).push({ id: e.url });
      plan.actions.indexUrls.push(e.url);
    }
  }

  await findInDatabase(ws, opts, plan, store('tables'), store('registry'), keepTables);

  // Temporary files of processes that no longer run, anywhere in the workspace's own folders.
  const temp = store('temp');
  if (!temp.skipped) {
    for (const top of [ws.paths.manifests, ws.paths.output, ws.paths.downloads, ws.paths.cache]) {
      for (const path of await walkFiles(top, root, temp)) {
        const name = basename(path);
        const inCacheTmp = dirname(path) === join(ws.paths.cache, 'tmp');
        const m = TEMP_NAME.exec(name) ?? (dirname(path) === ws.paths.cache ? LOCK_TEMP.exec(name) : null);
        if (m ? !opts.alive(Number(m[1])) : inCacheTmp) await add(temp, 'temp', path);
      }
    }
    if (opts.staleLock) {
      (temp.kinds.lock ??= []).push({ id: `${rel(opts.staleLock.path)} (pid ${opts.staleLock.pid})`, bytes: opts.staleLock.bytes });
      plan.actions.staleLock = opts.staleLock;
    }
  }
  return plan;
}

/** Fills the `tables` and `registry` stores; a skipped one keeps the other from removing what it describes. */
async function findInDatabase(ws: Workspace, opts: FindOptions, plan: OrphanPlan, tables: StoreOrphans, registry: StoreOrphans, keep: { table: string; publication: string }[]): Promise<void> {
  if (tables.skipped && registry.skipped) return;
  const periods = ws.config.publications.flatMap((p) => p.periods.map((e) => ({ publication: p.code, period: e.period.label })));
  const o = await findDbOrphans(await ws.db(), { periods, tables: keep, workspace: await ws.identity() });
  plan.notOurs = { others: o.others, unclaimed: o.unclaimed };
  if (tables.skipped) {
    // The staging rows stay, so the registry rows describing them (and the sources those reference) stay too.
    o.tables = [];
    o.rows = [];
    o.unknown = [];
    o.loads = [];
    o.sources = [];
    registry.note = 'tables are skipped: only records of unconfigured periods are listed; rows describing staging data stay with it';
  }
  if (registry.skipped) {
    o.tables = [];
    o.rows = [];
    o.loads = [];
    o.sources = [];
    o.periods = [];
    tables.note = 'registry is skipped: staging data the registry describes stays with it; only unregistered tables are listed';
  }
  const t = (name: string) => `staging.${name}`;
  if (o.tables.length) tables.kinds.tables = o.tables.map((x) => ({ id: t(x.table), rows: x.rows, bytes: x.bytes }));
  if (o.rows.length) tables.kinds.rows = o.rows.map((x) => ({ id: `${t(x.table)} ${x.publication}/${x.period}`, rows: x.rows }));
  const unknown = o.unknown.map((x) => ({ id: t(x.table), rows: x.rows, bytes: x.bytes }));
  if (opts.includeUnregistered && !tables.skipped) {
    if (unknown.length) tables.kinds.unregistered = unknown;
    plan.actions.dropUnknown = true;
  } else {
    tables.unknown.push(...unknown);
    o.unknown = [];
  }
  // Registry rows are counted as rows of the registry, not as the data rows they describe (those are under tables).
  if (o.periods.length) registry.kinds.periods = o.periods.map((x) => ({ id: `${x.publication}/${x.period}` }));
  if (o.sources.length) registry.kinds.sources = o.sources.map((x) => ({ id: `${x.publication}/${x.period} ${x.sourceUrl}` }));
  if (o.loads.length) registry.kinds.loads = o.loads.map((x) => ({ id: `${x.table} ${x.publication}/${x.period} ${x.sourceKey}` }));
  if (o.tables.length) registry.kinds.tables = o.tables.map((x) => ({ id: `${x.table} (${x.publication})` }));
  const any = o.tables.length + o.rows.length + o.unknown.length + o.loads.length + o.sources.length + o.periods.length > 0;
  if (any) plan.actions.db = o;
  const configured = new Set(ws.config.publications.map((p) => p.code));
  const rewrite = [...new Set(o.rows.filter((r) => configured.has(r.publication)).map((r) => `parquet:${r.publication}/${r.table}`))].sort();
  if (any || plan.stores.find((s) => s.store === 'parquet')?.kinds.parquet) plan.republish = [...rewrite, 'catalog:all'];
}

/**
 * Removes exactly what `plan` lists: the database orphans in one transaction, then (after it committed) the index
 * entries, files and emptied folders; then rewrites the targets in `plan.republish`. Each file is checked again
 * just before deletion: a regular file (never a link) inside the workspace, or it is left alone.
 * @returns how the rewritten targets ended
 */
export async function removeOrphans(ws: Workspace, plan: OrphanPlan, opts: { signal: AbortSignal; jobs: number; onEvent?: EventSink }): Promise<TargetResult[]> {
  const root = await realpath(ws.paths.root);
  const a = plan.actions;
  if (a.db) await deleteDbOrphans(await ws.db(), a.db, { dropUnknown: a.dropUnknown, signal: opts.signal });
  if (a.indexUrls.length) await ws.store.remove(a.indexUrls);
  for (const path of a.files) {
    opts.signal.throwIfAborted();
    await unlinkInside(path, root);
  }
  if (a.staleLock) {
    // Taking the lock replaced a stale one already; remove it only if that dead holder is still there.
    const still = await peekStaleLock(ws.paths, (pid) => pid !== a.staleLock!.pid);
    if (still?.pid === a.staleLock.pid) await rm(a.staleLock.path, { force: true });
  }
  for (const dir of [...new Set(a.folders)].sort().reverse()) await rmdir(dir).catch(() => undefined);
  if (plan.republish.length === 0) return [];
  const session = new BuildSession({
    rules: pipelineRules(ws),
    sources: workspaceSources(ws),
    ledger: failureLedger(ws),
    jobs: opts.jobs,
    signal: opts.signal,
    onEvent: opts.onEvent,
    now: ws.now,
  });
  const parquet = await session.build(plan.republish.filter((k) => k !== 'catalog:all'));
  const catalog = opts.signal.aborted ? [] : await session.build(plan.republish.filter((k) => k === 'catalog:all'));
  return [...parquet, ...catalog];
}

function isTemp(name: string): boolean {
  return TEMP_NAME.test(name) || LOCK_TEMP.test(name);
}

function ledgerRuleKnown(rule: string): boolean {
  return LEDGER_PERIOD_RULES.has(rule) || rule === 'parquet';
}

/** `failures/<rule>/` folders of per-period and per-table rules (the catalog's one record always stays); anything else is unknown. */
async function subfolders(dir: string, root: string, s: StoreOrphans): Promise<{ dir: string; rule: string }[]> {
  const out = [];
  for (const e of await listInside(dir, root, s)) {
    if (e.isDirectory() && e.name === 'catalog') continue;
    if (e.isDirectory() && ledgerRuleKnown(e.name)) out.push({ dir: join(dir, e.name), rule: e.name });
    else if (!isTemp(e.name)) s.unknown.push({ id: `manifests/failures/${e.name}` });
  }
  return out;
}

async function hasManifestHeader(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.startsWith(MANIFEST_HEADER);
}

/** The table documentation the parquet rule writes starts with `# <table>` and names the table. */
async function isOurMarkdown(path: string, table: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.startsWith(`# ${table}\n`) && text.includes(`- Table: \`${table}\``);
}

/**
 * Entries of `dir` (without following links), or none when it does not exist. A folder that resolves outside
 * `root` (a link pointing out) is refused: noted on the store, and nothing in it is ever listed for removal.
 */
async function listInside(dir: string, root: string, s: StoreOrphans) {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return [];
  }
  if (real !== root && !real.startsWith(root + sep)) {
    s.note = `${dir} resolves to ${real}, outside the workspace: left alone`;
    return [];
  }
  if ((await lstat(dir)).isSymbolicLink()) {
    s.unknown.push({ id: relative(root, dir) });
    return [];
  }
  return (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Regular files under `top`, recursively, never descending into links or the embedded database. */
async function walkFiles(top: string, root: string, s: StoreOrphans): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listInside(top, root, s)) {
    const path = join(top, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(path, root, s)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** Deletes a regular file inside `root`; a link, a folder, or a path resolving elsewhere is refused. */
async function unlinkInside(path: string, root: string): Promise<void> {
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
