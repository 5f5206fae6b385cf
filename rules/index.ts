/**
 * The pipeline, as the command line sees it: one façade over the stages. Open a workspace, then build, plan,
 * explain, report status, clean, or watch. Commands import nothing else from rules/.
 */
import { join } from 'node:path';
import { BuildLog } from '../lib/build-log.ts';
import type { WebDeps } from '../lib/web/options.ts';
import { loadConfigLogged } from './config.ts';
import type { Stage } from './stage.ts';
import { STAGES } from './stages/index.ts';
import { openWorkspace, type OpenWorkspace } from './workspace.ts';

export { buildPipeline, type BuildRequest } from './build.ts';
export { explainTargets, type Explained } from './explain.ts';
export { workspaceStatus, type PeriodState, type PeriodStatus, type PublicationStatus, type WorkspaceStatus } from './status.ts';
export { findOrphans, removeOrphans, peekStaleLock, CLEAN_STORES, type CleanStore, type OrphanItem, type OrphanPlan, type StoreOrphans } from './clean/plan.ts';
export { selectTargets, selectableStages, TargetError, type PeriodTarget } from './targets.ts';
export { DatabaseBusy, workspacePaths, type OpenWorkspace, type Workspace, type WorkspacePaths } from './workspace.ts';
export { localPath } from '../lib/web/source.ts';
export { STAGES, type Stage };

export interface OpenOptions {
  root: string;
  /** Config file, relative to `root` (default `config/publications.yaml`). */
  configFile?: string;
  databaseUrl?: string;
  refresh?: boolean;
  web?: WebDeps;
  now: () => Date;
  /** Fail rules that read config or artifacts they did not declare (tests turn it on). */
  checkReads?: boolean;
  /** See {@link WorkspaceOptions.claimDatabase}. */
  claimDatabase?: () => Promise<{ release(): Promise<void> }>;
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
