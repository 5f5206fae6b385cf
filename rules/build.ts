/**
 * How a selection of publication periods is brought up to date: every period through its period stages,
 * then each table stage's targets for the tables those periods feed, then the workspace stages.
 */
import { BuildSession, PENDING, type EventSink, type StaleReason, type TargetResult } from '../engine/index.ts';
import { toFailure } from '../lib/failure.ts';
import { localPath } from '../lib/web/source.ts';
import { archivedAway } from './archive/record.ts';
import { withRemoteCache, type ArtifactCache } from './remote-cache.ts';
import { fileLedger, ledgerDir } from './ledger.ts';
import { keyOf, stageRank, type Stage, type StageRule } from './stage.ts';
import { workspaceSources } from './sources.ts';
import type { Proven } from './noop-proof.ts';
import type { PeriodTarget } from './targets.ts';
import { splitId, type Workspace } from './workspace.ts';

export interface BuildRequest {
  targets: PeriodTarget[];
  jobs: number;
  dryRun?: boolean;
  retryFailed?: boolean;
  signal: AbortSignal;
  onEvent?: EventSink;
  /** `--remote`: manifests are fetched from it instead of built when it has them, and pushed after (./remote-cache.ts). */
  remote?: ArtifactCache;
  /** Targets a deps log proved up to date (./noop-proof.ts): reported so without being decided again. */
  known?: ReadonlyMap<string, Proven>;
}

/** Every stage's rule in this workspace. */
export function stageRules(ws: Workspace, stages: readonly Stage[], remote?: ArtifactCache): StageRule[] {
  return stages.map((s) => (remote ? withRemoteCache(s.rule(ws), remote) : s.rule(ws)));
}

/** A build session over the stages' rules, with the workspace's sources and failure ledger. */
export function session(ws: Workspace, stages: readonly Stage[], req: Omit<BuildRequest, 'targets'>, planned?: Map<string, StaleReason>): BuildSession {
  const sources = workspaceSources(ws);
  // In a dry run nothing is loaded, so the registry cannot show what a pending load will change: the
  // Parquet of tables fed by a period that would load, and the catalog, are planned as "may run", and
  // the registry's and the Parquet folder's present state (`loads:`, `parquet-set:`) is no evidence
  // either way for them (after a lost database it differs from the recorded one, though the loads
  // will restore it).
  const waitsOnLoads = (key: string): boolean =>
    planned !== undefined &&
    ((key.startsWith('loads:') && planned.has(`parquet:${key.slice('loads:'.length)}`)) || (key.startsWith('parquet-set:') && planned.has('catalog:all')));
  return new BuildSession({
    rules: stageRules(ws, stages, req.remote),
    sources: req.dryRun ? { digest: (key) => (waitsOnLoads(key) ? Promise.resolve(PENDING) : sources.digest(key)), value: sources.value } : sources,
    ledger: fileLedger(ledgerDir(ws.paths.manifests), req.dryRun ? undefined : ws.paths.cache),
    classify: toFailure,
    checkReads: ws.checkReads,
    jobs: req.jobs,
    dryRun: req.dryRun,
    retryFailed: req.retryFailed,
    known: req.known && ((key) => req.known!.get(key)),
    force: (key) =>
      ws.refresh && key.startsWith('download:') ? { kind: 'forced', why: refreshWhy(ws, key.slice('download:'.length)) } : planned?.get(key),
    signal: req.signal,
    onEvent: req.onEvent,
    now: ws.now,
  });
}

/** Builds (or, dry, plans) the selection; returns the session with every target's outcome. */
export async function buildPipeline(ws: Workspace, stages: readonly Stage[], req: BuildRequest): Promise<BuildSession> {
  const planned = new Map<string, StaleReason>();
  const s = session(ws, stages, req, planned);
  const periodStages = stages.filter((x) => x.grain === 'period').map((x) => x.name);
  const rank = (name: string) => stageRank(stages, name);
  const keys: string[] = [];
  // A period whose rows live in the archive alone is left alone: neither stale nor missing (rules/archive/record.ts).
  const away = await archivedAway(ws, [...new Set(req.targets.map((t) => `${t.publication}/${t.period}`))]);
  const targets = away.size ? req.targets.filter((t) => !away.has(`${t.publication}/${t.period}`)) : req.targets;
  for (const t of targets) {
    for (const name of periodStages) if (rank(name) <= rank(t.stage)) keys.push(keyOf(name, `${t.publication}/${t.period}`));
  }
  const first = await s.build(keys);
  const publish = targets.filter((t) => stages.find((x) => x.name === t.stage)?.grain !== 'period');
  if (publish.length === 0 || req.signal.aborted) return s;

  const outcome = new Map(first.map((r: TargetResult) => [r.key, r.outcome]));
  const periods = [...new Set(publish.map((t) => `${t.publication}/${t.period}`))];
  let pendingFeeder: string | undefined;
  let pendingTable: string | undefined;
  // A publication the deps log proved up to date in full (every period target of it) feeds the tables it fed when
  // the proof was kept: those are among the proven targets. Its manifests are not read again (at 2,000 periods,
  // a hundred folders of the build log to parse, ~50 ms, for the same answer).
  const proven = provenPublications(periods, periodStages, req.known);
  const open = proven.size ? periods.filter((p) => !proven.has(splitId(p)[0])) : periods;
  for (const stage of stages.filter((x) => x.grain === 'table')) {
    const feeds = (await stage.feeds?.(ws, open)) ?? new Map<string, string[]>();
    if (stage.feeds && proven.size) {
      for (const key of req.known!.keys()) {
        const table = key.startsWith(`${stage.name}:`) ? key.slice(stage.name.length + 1) : undefined;
        if (table && proven.has(splitId(table)[0])) feeds.set(table, []);
      }
    }
    if (req.dryRun) {
      // A table fed by a period target that would run may change (decided once that target has run).
      for (const [table, from] of feeds) {
        const pending = from.find((k) => outcome.get(k) === 'would-run');
        pendingFeeder ??= pending;
        if (pending) planned.set(keyOf(stage.name, table), { kind: 'input-will-rebuild', input: pending });
      }
    }
    const results = await s.build([...feeds.keys()].map((t) => keyOf(stage.name, t)).sort());
    pendingTable ??= results.find((r) => r.outcome === 'would-run')?.key;
    if (req.signal.aborted) return s;
  }
  for (const stage of stages.filter((x) => x.grain === 'workspace')) {
    // A period that has never been drafted feeds tables nobody can name yet: the workspace targets may change too.
    const pending = pendingTable ?? pendingFeeder ?? [...outcome].find(([, o]) => o === 'would-run')?.[0];
    if (req.dryRun && pending) planned.set(keyOf(stage.name, 'all'), { kind: 'input-will-rebuild', input: pending });
    await s.build([keyOf(stage.name, 'all')]);
  }
  return s;
}

/** Publications each of whose `periods` has every period target in `known`. */
function provenPublications(periods: string[], periodStages: string[], known: ReadonlyMap<string, Proven> | undefined): Set<string> {
  const proven = new Set<string>();
  if (!known?.size) return proven;
  // Period targets known, per period (one pass over the known keys).
  const stages = new Set(periodStages);
  const count = new Map<string, number>();
  for (const key of known.keys()) {
    const i = key.indexOf(':');
    if (stages.has(key.slice(0, i))) count.set(key.slice(i + 1), (count.get(key.slice(i + 1)) ?? 0) + 1);
  }
  const unproven = new Set<string>();
  for (const p of periods) (count.get(p) === stages.size ? proven : unproven).add(splitId(p)[0]);
  for (const pub of unproven) proven.delete(pub);
  return proven;
}

/** Why `--refresh` runs a download: a server is asked again; a local file is read again (no server involved). */
function refreshWhy(ws: Workspace, id: string): string {
  const [code, period] = splitId(id);
  const url = ws.rawConfig.publications.find((p) => p.code === code)?.periods.find((e) => e.period.label === period)?.url;
  return url !== undefined && localPath(url, ws.rawConfig.dir)
    ? 'build --refresh: reading the local file again'
    : 'build --refresh: asking the server again (conditional request)';
}
