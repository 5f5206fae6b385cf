/**
 * The state of every configured period, as `status` shows it: built through which stage, stale (and why),
 * pending (never built) or failed (the ledger's error, when, attempts), with row totals from the registry.
 * Derived from a plan of everything (nothing runs), never from a counter kept on the side.
 */
import { describeReason, type TargetResult } from '../engine/index.ts';
import { noTotals, sumTotals, type LlmTotals } from '../lib/llm/index.ts';
import { buildPipeline } from './build.ts';
import { fileLedger, lastAttempt, ledgerDir } from './ledger.ts';
import type { Stage } from './stage.ts';
import { answerTotals } from './stores/llm-answers.ts';
import { selectTargets } from './targets.ts';
import { readRecord } from './archive/record.ts';
import type { Workspace } from './workspace.ts';
import type { ReportPeriod, ReportPublication, ReportState } from '../lib/report/model.ts';

export type PeriodState = ReportState;

/** A period's state (lib/report/model.ts, which the status page reads), and the last attempt's error. */
export interface PeriodStatus extends ReportPeriod {
  /**
   * For pending and stale: the last attempt's error when it failed for a reason outside the data (DNS, a refused
   * connection, a server error after retries). Not a failure the build remembers: the next build tries again.
   */
  lastAttempt?: { target: string; error: string; hint?: string; kind?: string; at: string };
}

export interface PublicationStatus extends ReportPublication {
  periods: PeriodStatus[];
  /** The model's kept answers for this publication (manifests/llm/<pub>/): tokens, latency, cost. */
  llm?: LlmTotals;
}

export interface WorkspaceStatus {
  publications: PublicationStatus[];
  /** Set when the database's part of this was read from the build log because a build holds the database. */
  databaseAsOfLastBuild?: boolean;
  /** The model's kept answers over every configured publication, when there are any. */
  llm?: LlmTotals;
}

/** Plans a build of everything (nothing runs) and reads the ledger and the registry. */
export async function workspaceStatus(ws: Workspace, stages: readonly Stage[], opts: { jobs: number; signal: AbortSignal }): Promise<WorkspaceStatus> {
  const config = ws.rawConfig;
  const session = await buildPipeline(ws, stages, { targets: selectTargets([], config, stages), jobs: opts.jobs, dryRun: true, signal: opts.signal });
  const results = new Map(session.results().map((r) => [r.key, r]));
  const ledger = fileLedger(ledgerDir(ws.paths.manifests));
  const chainStages = stages.filter((s) => s.grain === 'period').map((s) => s.name);
  // This workspace's loads only: on a shared server another workspace may use the same publication code.
  const loads = await ws.registry.loads().catch(() => []);
  const publications: PublicationStatus[] = [];
  const answers = await answerTotals(ws.paths, config.publications.map((p) => p.code));
  for (const pub of config.publications) {
    const periods: PeriodStatus[] = [];
    for (const { period } of pub.periods) {
      const chain = chainStages.map((s) => results.get(`${s}:${pub.code}/${period.label}`));
      const record = await readRecord(ws, `${pub.code}/${period.label}`);
      const archive = record && { remote: record.remote, archivedAt: record.archived_at, ...(record.removed ? { removedAt: record.removed.at } : {}) };
      if (record?.removed) periods.push({ period: period.label, state: 'archived', builtThrough: null, archive: archive! });
      else periods.push({ ...(await periodStatus(period.label, chainStages, chain, (k) => ledger.read(k), (k) => lastAttempt(ws.paths.cache, k))), ...(archive ? { archive } : {}) });
    }
    const totals = new Map<string, number>();
    for (const l of loads.filter((x) => x.publication === pub.code)) {
      const k = `${l.table}\u0000${l.period}`;
      totals.set(k, (totals.get(k) ?? 0) + l.rowCount);
    }
    const tables = [...totals]
      .map(([k, rows]) => ({ table: k.split('\u0000')[0], period: k.split('\u0000')[1], rows }))
      .sort((a, b) => (a.table === b.table ? (a.period < b.period ? -1 : 1) : a.table < b.table ? -1 : 1));
    const llm = answers.get(pub.code);
    publications.push({ publication: pub.code, name: pub.name, periods, tables, ...(llm ? { llm } : {}) });
  }
  const llm = [...answers.values()].reduce((all, t) => sumTotals(all, t), noTotals());
  return { publications, ...(ws.registry.stale ? { databaseAsOfLastBuild: true } : {}), ...(llm.answers ? { llm } : {}) };
}

async function periodStatus(
  period: string,
  names: string[],
  chain: (TargetResult | undefined)[],
  readFailure: (key: string) => ReturnType<ReturnType<typeof fileLedger>['read']>,
  readAttempt: (key: string) => ReturnType<typeof lastAttempt>,
): Promise<PeriodStatus> {
  let builtThrough: string | null = null;
  for (const [i, r] of chain.entries()) {
    if (r?.outcome !== 'up-to-date') break;
    builtThrough = names[i];
  }
  for (const r of chain) {
    const f = r && (r.outcome === 'skipped' || r.outcome === 'failed') ? await readFailure(r.key) : undefined;
    if (f) return { period, state: 'failed', builtThrough, failure: { target: r!.key, error: f.error, ...(f.hint ? { hint: f.hint } : {}), at: f.at, attempts: f.attempts } };
  }
  const first = chain.find((r) => r && r.outcome !== 'up-to-date');
  if (!first) return { period, state: 'built', builtThrough };
  const neverBuilt = builtThrough === null && first.reason?.kind === 'never-built';
  let attempt: PeriodStatus['lastAttempt'];
  for (const r of chain) {
    const a = r && r.outcome !== 'up-to-date' ? await readAttempt(r.key) : undefined;
    if (a) {
      attempt = { target: a.target, error: a.error, ...(a.hint ? { hint: a.hint } : {}), ...(a.kind ? { kind: a.kind } : {}), at: a.at };
      break;
    }
  }
  return {
    period,
    state: neverBuilt ? 'pending' : 'stale',
    builtThrough,
    stale: { target: first.key, reason: first.reason ? describeReason(first.reason) : first.error?.message ?? first.outcome },
    ...(attempt ? { lastAttempt: attempt } : {}),
  };
}
