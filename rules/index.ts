/**
 * The pipeline, as the command line sees it: one façade over the stages. Open a workspace, then build, plan,
 * explain, report status, clean, or watch. Commands import nothing else from rules/.
 *
 * What a build the no-op proof vouches for needs (the proof, the paths, target selection, temp collection) is
 * imported here directly; everything else, the stages and the engine's build included, only when first called.
 */
import type { Stage } from './stage.ts';

export type { BuildRequest } from './build.ts';
export type { Explained } from './explain.ts';
export type { PeriodState, PeriodStatus, PublicationStatus, WorkspaceStatus } from './status.ts';
export type { CleanStore, OrphanItem, OrphanPlan, StoreOrphans } from './clean/plan.ts';
export { CLEAN_STORES } from './stage.ts';
export { selectTargets, selectableStages, TargetError, type PeriodTarget } from './targets.ts';
export type { OpenWorkspace, Workspace } from './workspace.ts';
export { DatabaseBusy, workspacePaths, type WorkspacePaths } from './paths.ts';
/** Where a period's URL points on this machine, when it is a local file (`watch` watches those). */
export const localPaths = () => import('../lib/web/source.ts');
export { proveNothingToDo, recordProof, type Carried, type Proven, type Selection, type Verdict } from './noop-proof.ts';
export { REGISTRY_VIEW } from './stores/pglite-state.ts';
/** The server's registry digest (see lib/db/changes.ts), loaded only for a server. */
export const registryDigest = async (...args: Parameters<typeof import('../lib/db/changes.ts').registryDigest>) => (await import('../lib/db/changes.ts')).registryDigest(...args);
export { collectStaleTemp } from './temp.ts';
export type { Stage };
export type { OpenOptions, Pipeline } from './pipeline.ts';

// Loaded only by the commands that use them: a build with nothing to do never imports them.
type Lazy<M, K extends keyof M> = M[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, name: K): Lazy<M, K> =>
  (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as Lazy<M, K>;

/** Loads the config (through the build log) and opens the workspace with the stages (default: all of them). */
export const openPipeline = lazy(() => import('./pipeline.ts'), 'openPipeline');
/** Brings targets up to date (or plans them, with `dryRun`) through the engine. */
export const buildPipeline = lazy(() => import('./build.ts'), 'buildPipeline');

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
export { stageRank } from './stage.ts';
/** `build --remote`: the remote artifact store as a build cache. */
export const openArtifactCache = lazy(() => import('./remote-cache.ts'), 'openArtifactCache');
export type { ArtifactCache } from './remote-cache.ts';
/** The NHS_PIPELINE_HTTP_* limits (only a command that opens the workspace needs them). */
export const timeoutsFromEnv = lazy(() => import('../lib/web/options.ts'), 'timeoutsFromEnv');
/** `build --shard`: the round's split of the publications, this shard's targets, the `i/n` of the option. */
export const planShard = lazy(() => import('./shard.ts'), 'planShard');
export const shardTargets = lazy(() => import('./shard.ts'), 'shardTargets');
export const parseShard = lazy(() => import('../lib/shard.ts'), 'parseShard');
export type { ShardPlan } from './shard.ts';
export type { Shard } from '../lib/shard.ts';
