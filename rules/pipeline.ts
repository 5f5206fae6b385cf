/**
 * Opening a workspace with its config and build log (`openPipeline`), loaded through rules/index.ts only when a
 * command opens one: a build the no-op proof vouches for never does, nor loads the stages.
 */
import { join } from 'node:path';
import { BuildLog } from '../lib/build-log.ts';
import { loadConfigLogged } from './config.ts';
import type { Stage } from './stage.ts';
import { STAGES } from './stages/index.ts';
import { openWorkspace, type OpenWorkspace, type WorkspaceOptions } from './workspace.ts';

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
