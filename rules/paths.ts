/**
 * Where a workspace keeps each store, and the error a reader meets when another process has its embedded database:
 * what commands need before (and often without) opening the workspace, apart from rules/workspace.ts, which loads
 * the stores' machinery.
 */
import { join, resolve } from 'node:path';
import { PipelineError } from '../lib/failure.ts';
import type { LockHolder } from '../lib/lock.ts';

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

/** Another process has the embedded database open (a reader never waits for it). */
export class DatabaseBusy extends PipelineError {
  constructor(readonly holder: LockHolder) {
    super({
      kind: 'environment',
      message: `the embedded database is open in another process (${holder.command}, pid ${holder.pid}, since ${holder.since})`,
      hint: 'what the database holds is shown as of the last completed build; run this again when it has finished',
    });
  }
}
