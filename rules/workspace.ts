/**
 * The workspace a build runs in (`-C DIR`): where each store lives, the loaded config, and the side
 * effects (database, network, clock) that rules receive instead of reaching for globals.
 */
import { join, resolve } from 'node:path';
import { FileHasher } from '../engine/index.ts';
import { loadConfig, type PipelineConfig, type Publication } from '../lib/config/index.ts';
import { openDb, type Db } from '../lib/db/index.ts';
import { ensureSchemas } from '../lib/db/registry.ts';
import { describeFile, type FileExtraction } from '../lib/sheets/index.ts';
import { DownloadStore, type WebDeps } from '../lib/web/index.ts';

export interface WorkspacePaths {
  root: string;
  manifests: string;
  downloads: string;
  output: string;
  cache: string;
  pglite: string;
}

export function workspacePaths(root: string): WorkspacePaths {
  const abs = resolve(root);
  return {
    root: abs,
    manifests: join(abs, 'manifests'),
    downloads: join(abs, 'downloads'),
    output: join(abs, 'output'),
    cache: join(abs, '.cache'),
    pglite: join(abs, '.pglite'),
  };
}

export interface Workspace {
  paths: WorkspacePaths;
  config: PipelineConfig;
  hasher: FileHasher;
  store: DownloadStore;
  /** Opened on first use: `status` on a fresh workspace should not pay for creating a database. */
  db(): Promise<Db>;
  web: WebDeps;
  now: () => Date;
  /** `build --refresh`: ask servers again (conditional requests) for URLs already downloaded. */
  refresh: boolean;
  /** The tables in a downloaded file (memoised per build: draft and load both need it). */
  describe(file: { path: string; name: string; sha256: string }, includeSheets: string[], signal: AbortSignal): Promise<FileExtraction>;
}

export function publication(ws: Workspace, code: string): Publication {
  const pub = ws.config.publications.find((p) => p.code === code);
  if (!pub) throw new Error(`publication "${code}" is not in ${ws.config.file}`);
  return pub;
}

export function manifestPath(ws: Workspace, stage: string, pub: string, period: string): string {
  return join(ws.paths.manifests, stage, pub, `${period}.yaml`);
}

/** Whether a `pub/period` target id names a configured period. */
export function isConfigured(ws: Workspace, id: string): boolean {
  const [code, period] = splitId(id);
  return ws.config.publications.some((p) => p.code === code && p.periods.some((e) => e.period.label === period));
}

/** Splits a `pub/period` or `pub/table` target id. */
export function splitId(id: string): [string, string] {
  const i = id.indexOf('/');
  return i < 0 ? [id, ''] : [id.slice(0, i), id.slice(i + 1)];
}

/** What opening a workspace needs from the outside world. */
export interface WorkspaceOptions {
  root: string;
  configFile?: string;
  databaseUrl?: string;
  refresh?: boolean;
  web?: WebDeps;
  now: () => Date;
}

/** Loads the config and the stores; the database opens lazily. Call `close()` when done. */
export async function openWorkspace(opts: WorkspaceOptions): Promise<Workspace & { close(): Promise<void> }> {
  const paths = workspacePaths(opts.root);
  const config = await loadConfig(resolve(paths.root, opts.configFile ?? 'config/publications.yaml'));
  const hasher = new FileHasher(join(paths.cache, 'hashes.json'));
  await hasher.load();
  const store = new DownloadStore(paths.downloads);
  await store.load();
  let db: Promise<Db> | undefined;
  const extractions = new Map<string, Promise<FileExtraction>>();
  return {
    paths,
    config,
    hasher,
    store,
    web: opts.web ?? {},
    now: opts.now,
    refresh: opts.refresh ?? false,
    db: () =>
      (db ??= openDb({ workspace: paths.root, databaseUrl: opts.databaseUrl }).then(async (d) => {
        await ensureSchemas(d);
        return d;
      })),
    describe(file, includeSheets, signal) {
      // Draft and load both read a file's layout: do it once per build.
      const key = `${file.sha256}\u0000${includeSheets.join('\u0000')}`;
      const known = extractions.get(key);
      if (known) return known;
      const p = describeFile({ path: file.path, name: file.name }, { includeSheets, signal });
      p.catch(() => extractions.delete(key));
      extractions.set(key, p);
      return p;
    },
    async close() {
      await hasher.save();
      if (db) await (await db.catch(() => undefined))?.close();
    },
  };
}
