/**
 * The workspace a build runs in (`-C DIR`): where each store lives, the loaded config, the build log, and the
 * side effects (database, network, clock) that rules receive instead of reaching for globals.
 *
 * Heavy modules (the database drivers, the spreadsheet readers, the download layer) are imported only when
 * first used, so a command that finds nothing to do never loads them.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkRead } from '../engine/index.ts';
import { tempPathFor } from '../lib/atomic.ts';
import { BuildLog } from '../lib/build-log.ts';
import type { PipelineConfig, Publication } from '../lib/config/types.ts';
import type { Db } from '../lib/db/index.ts';
import { PipelineError } from '../lib/failure.ts';
import { LlmSession, type ChatDeps, type LlmSettings } from '../lib/llm/index.ts';
import type { LockHolder } from '../lib/lock.ts';
import type { FileExtraction } from '../lib/sheets/index.ts';
import type { DownloadStore, WebDeps } from '../lib/web/index.ts';
import { DatabaseBusy, workspacePaths, type WorkspacePaths } from './paths.ts';
import { RegistryView } from './stores/registry.ts';

export { DatabaseBusy, workspacePaths, type WorkspacePaths } from './paths.ts';

/** A file the pipeline extracts tables from: its bytes in the store and where they came from. */
export interface Blob { path: string; name: string; url: string; sha256: string }

export interface Workspace {
  readonly paths: WorkspacePaths;
  /**
   * The validated config. A rule reads it only through declared `config:` inputs (`ctx.need`): with the
   * undeclared-read check on (tests), reading it here while a rule runs fails.
   */
  readonly config: PipelineConfig;
  /** The config as it is, for the engine's sources and the graph's shape (which targets exist). */
  readonly rawConfig: PipelineConfig;
  /** What was last read from each artifact, by stat signature (`.cache/build-log.json`). */
  readonly log: BuildLog;
  /** The database's records, read in bulk once per build (or taken from the log while it is unchanged). */
  readonly registry: RegistryView;
  /** Opened on first use: a build with nothing to do never opens the database. */
  db(): Promise<Db>;
  /** Whether {@link db} was called: the embedded database then changed on disk. */
  readonly dbOpened: boolean;
  /** Set once the embedded database could not be opened because another process has it open. */
  readonly dbBusy?: LockHolder;
  readonly embedded: boolean;
  /**
   * The workspace's identity (`manifests/.workspace-id`, created with the database on first use): recorded on every
   * registry row it writes, so that workspaces sharing one database never load into, or clean, each other's data.
   */
  identity(): Promise<string>;
  /** The content-addressed download store (its index is read on first use). */
  downloads(): Promise<DownloadStore>;
  web: WebDeps;
  /** The language model the enriched stage may consult (off without settings; asks only with a model and a key). */
  readonly llm: LlmSession;
  now: () => Date;
  /** `build --refresh`: ask servers again (conditional requests) for URLs already downloaded. */
  refresh: boolean;
  /** Fail rules that read config or artifacts they did not `need` (tests). */
  checkReads: boolean;
  /** The tables in a downloaded file (memoised per build: draft and load both need it). */
  describe(file: Blob, includeSheets: string[], signal: AbortSignal): Promise<FileExtraction>;
}

export function publication(config: PipelineConfig, code: string): Publication {
  const pub = config.publications.find((p) => p.code === code);
  if (!pub) throw new Error(`publication "${code}" is not in ${config.file}`);
  return pub;
}

/** Whether a `pub/period` target id names a configured period. */
export function isConfigured(config: PipelineConfig, id: string): boolean {
  const [code, period] = splitId(id);
  return config.publications.some((p) => p.code === code && p.periods.some((e) => e.period.label === period));
}

/** Splits a `pub/period` or `pub/table` target id. */
export function splitId(id: string): [string, string] {
  const i = id.indexOf('/');
  return i < 0 ? [id, ''] : [id.slice(0, i), id.slice(i + 1)];
}

/** What opening a workspace needs from the outside world. */
export interface WorkspaceOptions {
  root: string;
  config: PipelineConfig;
  log: BuildLog;
  databaseUrl?: string;
  refresh?: boolean;
  web?: WebDeps;
  /** The language model's settings (lib/llm/settings.ts); undefined: off. */
  llm?: LlmSettings;
  /** The model client's side effects (tests). */
  llmDeps?: ChatDeps;
  now: () => Date;
  checkReads?: boolean;
  /**
   * Claims the embedded database before it is opened (one process at a time may open it): resolves with its
   * release, or rejects with the holder when another process has it and this one must not wait (a reader).
   */
  claimDatabase?: () => Promise<{ release(): Promise<void> }>;
}

/** An open workspace: `close()` when done; `setConfig()` swaps in a new config (watch), keeping the database open. */
export type OpenWorkspace = Workspace & { close(): Promise<void>; setConfig(config: PipelineConfig): void };

/** Opens a workspace on a loaded config; the database, the download index and the readers open lazily. */
export function openWorkspace(opts: WorkspaceOptions): OpenWorkspace {
  let config = opts.config;
  const paths = workspacePaths(opts.root);
  let db: Promise<Db> | undefined;
  let id: Promise<string> | undefined;
  let store: Promise<DownloadStore> | undefined;
  const identity = () => (id ??= workspaceId(paths));
  const embedded = opts.databaseUrl === undefined || opts.databaseUrl === '';
  const extractions = new Map<string, Promise<FileExtraction>>();
  const checkReads = opts.checkReads ?? false;
  let claim: { release(): Promise<void> } | undefined;
  const ws: OpenWorkspace = {
    paths,
    get config() {
      if (checkReads) checkRead('config');
      return config;
    },
    get rawConfig() {
      return config;
    },
    setConfig(next) {
      config = next;
    },
    log: opts.log,
    registry: undefined as unknown as RegistryView,
    get dbOpened() {
      return db !== undefined;
    },
    dbBusy: undefined,
    embedded,
    web: opts.web ?? {},
    llm: new LlmSession(opts.llm, opts.llmDeps),
    now: opts.now,
    refresh: opts.refresh ?? false,
    checkReads,
    identity,
    db: () =>
      (db ??= (async () => {
        if (embedded && opts.claimDatabase) {
          try {
            claim = await opts.claimDatabase();
          } catch (err) {
            if (err instanceof DatabaseBusy) (ws as { dbBusy?: LockHolder }).dbBusy = err.holder;
            throw err;
          }
        }
        return openDatabase(paths, opts, identity, embedded);
      })()),
    downloads: () =>
      (store ??= import('../lib/web/store.ts').then(async ({ DownloadStore }) => {
        const s = new DownloadStore(paths.downloads);
        await s.load();
        return s;
      })),
    describe(file, includeSheets, signal) {
      // Draft and load both read a file's layout: do it once per build.
      const key = `${file.sha256}\u0000${includeSheets.join('\u0000')}`;
      const known = extractions.get(key);
      if (known) return known;
      const p = import('../lib/sheets/index.ts').then(({ describeFile }) => describeFile({ path: file.path, name: file.name, origin: file.url }, { includeSheets, signal }));
      p.catch(() => extractions.delete(key));
      extractions.set(key, p);
      return p;
    },
    async close() {
      // Counts of tables this build wrote are made true while the database is still open.
      if (db && (await db.then(() => true, () => false))) await ws.registry.settle().catch(() => ws.registry.invalidate());
      if (db) await (await db.catch(() => undefined))?.close();
      await ws.registry.persist();
      await claim?.release();
    },
  };
  (ws as { registry: RegistryView }).registry = new RegistryView(ws);
  return ws;
}

async function openDatabase(paths: WorkspacePaths, opts: WorkspaceOptions, identity: () => Promise<string>, embedded: boolean): Promise<Db> {
  const { openDb } = await import('../lib/db/index.ts');
  const { claimEverything, ensureSchemas, registerWorkspace } = await import('../lib/db/registry.ts');
  const d = await openDb({ workspace: paths.root, databaseUrl: opts.databaseUrl });
  await ensureSchemas(d);
  const me = await identity();
  await registerWorkspace(d, me, paths.root);
  // The embedded database lives in this folder: whatever it holds is this workspace's.
  if (embedded) await claimEverything(d, me);
  return d;
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
      throw new PipelineError({
        kind: 'input',
        message: `${file}:1:1: "${text.slice(0, 40)}" is not a workspace id (8–64 letters, digits, "_", "." or "-")`,
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
  await writeFile(tmp, `${randomUUID()}\n`, { flush: true }); // cannot be rebuilt: on disk before it is published
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  return read();
}
