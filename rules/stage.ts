/**
 * A stage is one place: its name and order, what one of its targets is (a period, a table, the workspace),
 * its rule, and its store (where its artifacts live, how to read their records back, and which of them are
 * orphans once the config no longer produces them). `build`, `status`, `explain` and `clean` all derive from
 * the list of stages in ./stages/index.ts; adding a stage is one file plus one line there.
 */
import type { Rule, Store } from '../engine/index.ts';
import type { Workspace } from './workspace.ts';

/** What one target of a stage stands for: `pub/period`, `pub/table`, or the whole workspace (`all`). */
export type Grain = 'period' | 'table' | 'workspace';

/** How `clean` groups what it finds, by the names users give `--skip`. */
export const CLEAN_STORES = ['manifests', 'parquet', 'metadata', 'downloads', 'tables', 'registry', 'temp'] as const;
export type CleanStore = (typeof CLEAN_STORES)[number];

/** One thing `clean` would remove (or leave, as unknown): a stable id, and its size where it has one. */
export interface OrphanItem { id: string; bytes?: number; rows?: number }

/** What a stage's store finds that the config no longer produces, for `clean`. */
export interface StageOrphans {
  /** Items by clean store and kind (`manifests` → `draft` → [...]). */
  found: { store: CleanStore; kind: string; items: OrphanItem[] }[];
  /** Found in the stage's places but not written by the pipeline: reported, never removed. */
  unknown: { store: CleanStore; items: OrphanItem[] }[];
  /** Why part of a store is left alone (a folder linking out of the workspace, a related store skipped). */
  notes: { store: CleanStore; text: string }[];
  /** Files to delete (absolute paths; each is checked again just before deletion). */
  files: string[];
  /** Folders that may be left empty. */
  folders: string[];
  /** Removal that is not files (database rows and tables): run first, in one transaction. */
  remove?: (signal: AbortSignal) => Promise<void>;
  /** Targets to rewrite afterwards so a build has nothing left to do (Parquet of kept tables that lose rows). */
  republish?: string[];
  /** What the database holds for other workspaces, or nobody: counted, never listed. */
  notOurs?: NotOurs;
}

/** Other workspaces' (named) and unclaimed tables and registry rows on a shared database. */
export interface NotOurs {
  others: { tables: number; registryRows: number; workspaces: string[] };
  unclaimed: { tables: number; registryRows: number };
}

/** An empty report, to fill in. */
export const noOrphans = (): StageOrphans => ({ found: [], unknown: [], notes: [], files: [], folders: [] });

/** What a store needs to tell its orphans: which targets the config still produces. */
export interface OrphanQuery {
  /** The workspace folder, links resolved: nothing outside it is ever listed. */
  root: string;
  /** `pub/period` ids of configured periods. */
  periods: ReadonlySet<string>;
  /** `pub/table` ids of the tables the configured periods' canonical manifests name. */
  tables: ReadonlySet<string>;
  /** Clean stores the user skipped (`--skip`). */
  skip: ReadonlySet<CleanStore>;
  /** Drop staging tables the pipeline never registered, instead of reporting them as unknown. */
  includeUnregistered: boolean;
}

export interface StageStore<V = unknown> extends Store<V> {
  /** Artifacts of targets no longer produced; absent when the stage leaves none (or they are found elsewhere). */
  orphans?(q: OrphanQuery): Promise<StageOrphans>;
  /**
   * The files a target's output is, record included (a manifest; a Parquet file and its Markdown): what the
   * remote cache (../remote-cache.ts) stores and fetches. Absent when the output is not files (the database).
   */
  files?(id: string): string[];
}

export interface StageRule<V = unknown> extends Rule<V> {
  readonly store: StageStore<V>;
}

export interface Stage<V = unknown> {
  /** The rule's name, the prefix of its target keys and the `:stage` of command-line targets. */
  readonly name: string;
  /** Bump when the stage's logic changes what it writes: every target of the stage is then rebuilt. */
  readonly version: string;
  readonly grain: Grain;
  /** Its rule (with its store) in a workspace. */
  rule(ws: Workspace): StageRule<V>;
  /**
   * A table stage: the tables (`pub/table` ids) the given periods (`pub/period`) feed, each with the keys of
   * the period targets feeding it. A period whose tables are not known yet (never built) may feed any table
   * of its publication.
   */
  feeds?(ws: Workspace, periods: string[]): Promise<Map<string, string[]>>;
}

/** Builds the engine key of a target of `stage`. */
export const keyOf = (stage: string, id: string) => `${stage}:${id}`;

const GRAIN_ORDER: Record<Grain, number> = { period: 0, table: 1, workspace: 2 };

/**
 * Where a stage comes in a build: period stages first (in list order), then table stages, then workspace
 * stages, since each grain is built from the one before it.
 */
export function stageRank(stages: readonly Stage[], name: string): number {
  const i = stages.findIndex((s) => s.name === name);
  return i < 0 ? -1 : GRAIN_ORDER[stages[i].grain] * 1000 + i;
}
