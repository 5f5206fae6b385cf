/**
 * The pipeline's DAG: one rule per stage, and how a selection of publication periods is brought up to
 * date: every period through `loaded`, then the Parquet of each table those periods feed, then the catalog.
 */
import { join } from 'node:path';
import { BuildSession, FailureLedger, PENDING, type EventSink, type Rule, type StaleReason, type TargetResult } from '../engine/index.ts';
import { canonicalRule, type CanonicalBody } from './canonical.ts';
import { catalogRule } from './catalog.ts';
import { downloadRule } from './download.ts';
import { draftRule } from './draft.ts';
import { enrichRule } from './enrich.ts';
import { loadRule } from './load.ts';
import { readManifest } from './manifest-io.ts';
import { parquetRule } from './parquet.ts';
import { workspaceSources } from './sources.ts';
import { stageKey, type PeriodTarget } from './targets.ts';
import { manifestPath, type Workspace } from './workspace.ts';

export function pipelineRules(ws: Workspace): Rule[] {
  return [downloadRule(ws), draftRule(ws), enrichRule(ws), canonicalRule(ws), loadRule(ws), parquetRule(ws), catalogRule(ws)];
}

export interface BuildRequest {
  targets: PeriodTarget[];
  jobs: number;
  dryRun?: boolean;
  retryFailed?: boolean;
  signal: AbortSignal;
  onEvent?: EventSink;
}

export function failureLedger(ws: Workspace): FailureLedger {
  return new FailureLedger(join(ws.paths.manifests, 'failures'));
}

/** Builds (or, dry, plans) the selection; returns the session with every target's outcome. */
export async function buildPipeline(ws: Workspace, req: BuildRequest): Promise<BuildSession> {
  // In a dry run nothing is loaded, so the registry cannot show what a pending load will change: the
  // Parquet of tables fed by a period that would load, and the catalog, are planned as "may run", and
  // the registry's and the Parquet folder's present state (`loads:`, `parquet-set:`) is no evidence
  // either way for them (after a lost database it differs from the recorded one, though the loads
  // will restore it).
  const planned = new Map<string, StaleReason>();
  const sources = workspaceSources(ws);
  const waitsOnLoads = (key: string): boolean =>
    (key.startsWith('loads:') && planned.has(`parquet:${key.slice('loads:'.length)}`)) || (key.startsWith('parquet-set:') && planned.has('catalog:all'));
  const session = new BuildSession({
    rules: pipelineRules(ws),
    sources: req.dryRun ? { digest: (key) => (waitsOnLoads(key) ? Promise.resolve(PENDING) : sources.digest(key)) } : sources,
    ledger: failureLedger(ws),
    jobs: req.jobs,
    dryRun: req.dryRun,
    retryFailed: req.retryFailed,
    force: (key) =>
      ws.refresh && key.startsWith('download:') ? { kind: 'forced', why: 'build --refresh: asking the server again (conditional request)' } : planned.get(key),
    signal: req.signal,
    onEvent: req.onEvent,
    now: ws.now,
  });
  const first = await session.build(req.targets.map((t) => stageKey(t.stage === 'parquet' ? 'loaded' : t.stage, t.publication, t.period)));
  const publish = req.targets.filter((t) => t.stage === 'parquet');
  if (publish.length === 0 || req.signal.aborted) return session;

  const outcome = new Map(first.map((r: TargetResult) => [r.key, r.outcome]));
  const tables = new Map<string, string[]>(); // parquet key → loaded keys feeding it
  const undrafted: PeriodTarget[] = [];
  for (const t of publish) {
    const loaded = stageKey('loaded', t.publication, t.period);
    const canonical = await readManifest<CanonicalBody>(manifestPath(ws, 'canonical', t.publication, t.period));
    if (!canonical) undrafted.push(t);
    for (const table of canonical?.body.tables ?? []) {
      const key = `parquet:${t.publication}/${table.table}`;
      tables.set(key, [...(tables.get(key) ?? []), loaded]);
    }
  }
  // (Dry run.) A period not yet drafted may feed any table of its publication.
  for (const t of undrafted) {
    for (const [key, feeders] of tables) if (key.startsWith(`parquet:${t.publication}/`)) feeders.push(stageKey('loaded', t.publication, t.period));
  }
  const pendingLoad = [...outcome].find(([k, o]) => k.startsWith('loaded:') && o === 'would-run')?.[0];
  if (req.dryRun) {
    for (const [key, feeders] of tables) {
      const pending = feeders.find((k) => outcome.get(k) === 'would-run');
      if (pending) planned.set(key, { kind: 'input-will-rebuild', input: pending });
    }
  }
  const parquet = await session.build([...tables.keys()].sort());
  if (req.signal.aborted) return session;
  // A period that has never been drafted feeds tables nobody can name yet: the catalog may change too.
  const pendingParquet = parquet.find((r) => r.outcome === 'would-run')?.key;
  if (req.dryRun && (pendingParquet || pendingLoad)) planned.set('catalog:all', { kind: 'input-will-rebuild', input: pendingParquet ?? pendingLoad! });
  await session.build(['catalog:all']);
  return session;
}

export { selectTargets, STAGES, TargetError, type PeriodTarget, type Stage } from './targets.ts';
export { openWorkspace, type Workspace, type WorkspaceOptions } from './workspace.ts';
