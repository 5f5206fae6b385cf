/**
 * The workspace a build runs in (`-C DIR`): where each store lives, the loaded config, and the side
 * effects (database, network, clock) that rules receive instead of reaching for globals.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FileHasher } from '../engine/index.ts';
import { loadConfig, type PipelineConfig, type Publication } from '../lib/config/index.ts';
import { tempPathFor } from '../lib/atomic.ts';
import { openDb, type Db } from '../lib/db/index.ts';
import { claimEverything, ensureSchemas, registerWorkspace } from '../lib/db/registry.ts';
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
  /**
   * The workspace's identity (`manifests/.workspace-id`, created with the database on first use): recorded on every
   * registry row it writes, so that workspaces sharing one database never load into, or clean, each other's data.
   */
  identity(): Promise<string>;
  web: WebDeps;
  now: () => Date;
  /** `build --refresh`: ask servers again (conditional requests) for URLs already downloaded. */
  refresh: boolean;
  /** The tables in a downloaded file (memoised per build: draft and load both need it). */
  describe(file: { path: string; name: string; url: string; sha256: string }, includeSheets: string[], signal: AbortSignal): Promise<FileExtraction>;
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
  let id: Promise<string> | undefined;
  const identity = () => (id ??= workspaceId(paths));
  const embedded = opts.databaseUrl === undefined || opts.databaseUrl === '';
  const extractions = new Map<string, Promise<FileExtraction>>();
  return {
    paths,
    config,
    hasher,
    store,
    web: opts.web ?? {},
    now: opts.now,
    refresh: opts.refresh ?? false,
    identity,
    db: () =>
      (db ??= openDb({ workspace: paths.root, databaseUrl: opts.databaseUrl }).then(async (d) => {
        await ensureSchemas(d);
        const me = await identity();
        await registerWorkspace(d, me, paths.root);
        // The embedded database lives in this folder: whatever it holds is this workspace's.
        if (embedded) await claimEverything(d, me);
        return d;
      })),
    describe(file, includeSheets, signal) {
      // Draft and load both read a file's layout: do it once per build.
      const key = `${file.sha256}\u0000${includeSheets.join('\u0000')}`;
      const known = extractions.get(key);
      if (known) return known;
      const p = describeFile({ path: file.path, name: file.name, origin: file.url }, { includeSheets, signal });
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

/** Where a workspace keeps its identity: beside the manifests, committed with them, so a CI clone is the same workspace. */
export function workspaceIdPath(paths: WorkspacePaths): string {
  return join(paths.manifests, '.workspace-id');
}

const ID_FORMAT = /^[A-Za-z0-9][A-Za-z0-9_.-]{7,63}$/;

/** Reads `manifests/.workspace-id`, creating it with a random UUID the first time (exclusively: a racing process's id wins). */
async function workspaceId(paths: WorkspacePaths): Promise<string> {
  const file = workspaceIdPath(paths);
  const read = async () => {
    const text = (await readFile(file, 'utf8')).trim();
    if (!ID_FORMAT.test(text)) {
      throw Object.assign(new Error(`${file}:1:1: "${text.slice(0, 40)}" is not a workspace id (8–64 letters, digits, "_", "." or "-")`), {
        hint: 'restore the file from version control (or from the checkout that built this database); delete it only for a new workspace that owns nothing in the database yet',
      });
    }
    return text;
  };
  try {
    return await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true });
  // Written whole, then published with link(), which fails when the name exists: no reader sees half an id.
  const tmp = tempPathFor(file);
  await writeFile(tmp, `${randomUUID()}\n`);
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  return read();
}
