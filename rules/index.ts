/**
 * The pipeline, as the command line sees it: one façade over the stages. Open a workspace, then build, plan,
 * explain, report status, clean, or watch. Commands import nothing else from rules/.
 */
import { join } from 'node:path';
import { BuildLog } from '../lib/build-log.ts';
import { loadConfigLogged } from './config.ts';
import type { Stage } from './stage.ts';
import { STAGES } from './stages/index.ts';
import { openWorkspace, type OpenWorkspace, type WorkspaceOptions } from './workspace.ts';

export { buildPipeline, type BuildRequest } from './build.ts';
export type { Explained } from './explain.ts';
export type { PeriodState, PeriodStatus, PublicationStatus, WorkspaceStatus } from './status.ts';
export type { CleanStore, OrphanItem, OrphanPlan, StoreOrphans } from './clean/plan.ts';
export { CLEAN_STORES } from './stage.ts';
export { selectTargets, selectableStages, TargetError, type PeriodTarget } from './targets.ts';
export { DatabaseBusy, workspacePaths, type OpenWorkspace, type Workspace, type WorkspacePaths } from './workspace.ts';
export { localPath } from '../lib/web/source.ts';
export { proveNothingToDo, recordNothingToDo, type Carried, type Proven, type Selection, type Verdict } from './noop-proof.ts';
/** The server's registry digest (see lib/db/changes.ts), loaded only for a server. */
export const registryDigest = async (...args: Parameters<typeof import('../lib/db/changes.ts').registryDigest>) => (await import('../lib/db/changes.ts')).registryDigest(...args);
export { timeoutsFromEnv } from '../lib/web/options.ts';
export { collectStaleTemp } from './temp.ts';
export { STAGES, type Stage };

/** What opening a workspace takes: the workspace's options, with the config read from a file and the build log optional. */
export interface OpenOptions extends Omit<WorkspaceOptions, 'config' | 'log'> {
  /** Config file, relative to `root` (default `config/publications.yaml`). */
  configFile?: string;
  /** Keep the build log in memory across builds (`watch`): pass the one from the last open. */
  log?: BuildLog;
  /** Whether `close()` saves the build log (default true). */
  saveLog?: boolean;
}

/** An open workspace; `close()` closes the database and keeps the build log for the next command. */
export interface Pipeline {
  ws: OpenWorkspace;
  stages: readonly Stage[];
  log: BuildLog;
  close(): Promise<void>;
}

/** Loads the config (through the build log) and opens the workspace; nothing heavy is loaded yet. */
export async function openPipeline(opts: OpenOptions, stages: readonly Stage[] = STAGES): Promise<Pipeline> {
  const log = opts.log ?? new BuildLog(join(opts.root, '.cache', 'build-log.json')).load();
  const config = await loadConfigLogged(opts.root, opts.configFile ?? 'config/publications.yaml', log);
  const ws = openWorkspace({ ...opts, config, log });
  return {
    ws,
    stages,
    log,
    async close() {
      await ws.close();
      if (opts.saveLog !== false) await log.save();
    },
  };
}

// Loaded only by the commands that use them: a build with nothing to do never imports them.
type Lazy<M, K extends keyof M> = M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, name: K): Lazy<M, K> =>
  (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as Lazy<M, K>;

/** Plans the targets and returns each target visited, with the record of those up to date (`explain`). */
export const explainTargets = lazy(() => import('./explain.ts'), 'explainTargets');
/** The state of every configured period (`status`). */
export const workspaceStatus = lazy(() => import('./status.ts'), 'workspaceStatus');
/** The DAG of a selection: period chains, the tables they feed, the catalog (`graph`). */
export const targetGraph = lazy(() => import('./graph.ts'), 'targetGraph');
export type { TargetGraph } from './graph.ts';
/** What the config no longer produces, in every store (`clean`). */
export const findOrphans = lazy(() => import('./clean/plan.ts'), 'findOrphans');
/** Removes exactly a plan's list, then rewrites what lost rows (`clean --execute`). */
export const removeOrphans = lazy(() => import('./clean/plan.ts'), 'removeOrphans');
/** A build lock left by a process that no longer runs. */
export const peekStaleLock = lazy(() => import('./clean/plan.ts'), 'peekStaleLock');
export const planRename = lazy(() => import('./rename.ts'), 'planRename');
export const executeRename = lazy(() => import('./rename.ts'), 'executeRename');
export type { TableRename } from './rename.ts';
/** New periods the publications' landing pages offer (`discover`). */
export const discoverPeriods = lazy(() => import('./discover.ts'), 'discoverPeriods');
export type { Proposal, PublicationDiscovery } from './discover.ts';
/** Adds periods to the config file, keeping every other byte of it (`discover --write`). */
export const writePeriods = lazy(() => import('../lib/config/edit.ts'), 'writePeriods');
/** The object-storage archive (`archive`, `restore`). */
export const archiveWorkspace = lazy(() => import('./archive/index.ts'), 'archiveWorkspace');
export const restoreWorkspace = lazy(() => import('./archive/index.ts'), 'restoreWorkspace');
export const selectArchivePeriods = lazy(() => import('./archive/index.ts'), 'selectPeriods');
export const credentialsFrom = lazy(() => import('../lib/remote/s3.ts'), 'credentialsFrom');
/** Which of the given `pub/period` ids are archived (rows in the archive alone): a build leaves them alone. */
export const archivedAway = lazy(() => import('./archive/record.ts'), 'archivedAway');
export type { ArchiveReport, Restored } from './archive/index.ts';
/** What the status page shows: `status`'s answer with drift between periods (`report`). */
export const workspaceReport = lazy(() => import('./report.ts'), 'workspaceReport');
/** Writes the status page, self-contained, atomically. */
export const publishReport = lazy(() => import('./report.ts'), 'publishReport');
export type { ReportInput } from '../lib/report/model.ts';
export { planShard, shardTargets, type ShardPlan } from './shard.ts';
export { parseShard, type Shard } from '../lib/shard.ts';
export { stageRank } from './stage.ts';
/** `build --remote`: the remote artifact store as a build cache. */
export const openArtifactCache = lazy(() => import('./remote-cache.ts'), 'openArtifactCache');
export type { ArtifactCache } from './remote-cache.ts';
