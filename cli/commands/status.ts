/**
 * `status`: per publication, a bar of periods built out of those configured; per period whether it is
 * built, stale (and why), pending (never built) or failed (error, when, attempts); and row totals per table
 * and period from the database registry, never from a counter kept on the side. `--check` exits 1 when
 * anything is stale, pending or failed, for CI gates.
 */
import { describeReason, type TargetResult } from '../../engine/index.ts';
import { readLoads } from '../../lib/db/registry.ts';
import { buildPipeline, failureLedger, selectTargets, STAGES } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { label } from '../report.ts';
import { withWorkspace, type OpenWorkspace } from '../workspace.ts';

export type PeriodState = 'built' | 'stale' | 'pending' | 'failed';

export interface PeriodStatus {
  period: string;
  state: PeriodState;
  /** The last stage, in order, that is up to date ('' when none is). */
  builtThrough: string;
  /** For stale: the first stage that would run, and why. */
  stale?: { target: string; reason: string };
  /** For failed: from the failure ledger. */
  failure?: { target: string; error: string; hint?: string; at: string; attempts: number };
}

export interface PublicationStatus {
  publication: string;
  name: string;
  periods: PeriodStatus[];
  tables: { table: string; period: string; rows: number }[];
}

const STAGE_ORDER = STAGES.filter((s) => s !== 'parquet');

export async function statusCommand(io: Io, p: Parsed): Promise<number> {
  return withWorkspace(io, p.global, { lock: false, command: 'status' }, async (ws) => {
    const report = await collectStatus(io, ws, p.global.jobs);
    const unclean = report.some((r) => r.periods.some((x) => x.state !== 'built'));
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'status', publications: report }) + '\n');
    else io.stdout.write(render(report, io));
    return p.options.check && unclean ? EXIT.failed : EXIT.ok;
  });
}

/** Plans a build of everything (nothing runs) and reads the ledger and the registry. */
export async function collectStatus(io: Io, ws: OpenWorkspace, jobs: number): Promise<PublicationStatus[]> {
  const session = await buildPipeline(ws, { targets: selectTargets([], ws.config), jobs, dryRun: true, signal: io.signal });
  const results = new Map(session.results().map((r) => [r.key, r]));
  const ledger = failureLedger(ws);
  // This workspace's loads only: on a shared server another workspace may use the same publication code.
  const loads = await readLoads(await ws.db(), { workspace: await ws.identity() });
  const report: PublicationStatus[] = [];
  for (const pub of ws.config.publications) {
    const periods: PeriodStatus[] = [];
    for (const { period } of pub.periods) {
      const chain = STAGE_ORDER.map((s) => results.get(`${s}:${pub.code}/${period.label}`));
      periods.push(await periodStatus(period.label, chain, (k) => ledger.read(k)));
    }
    const totals = new Map<string, number>();
    for (const l of loads.filter((x) => x.publication === pub.code)) {
      const k = `${l.table}\u0000${l.period}`;
      totals.set(k, (totals.get(k) ?? 0) + l.rowCount);
    }
    const tables = [...totals]
      .map(([k, rows]) => ({ table: k.split('\u0000')[0], period: k.split('\u0000')[1], rows }))
      .sort((a, b) => (a.table === b.table ? (a.period < b.period ? -1 : 1) : a.table < b.table ? -1 : 1));
    report.push({ publication: pub.code, name: pub.name, periods, tables });
  }
  return report;
}

async function periodStatus(
  period: string,
  chain: (TargetResult | undefined)[],
  readFailure: (key: string) => ReturnType<ReturnType<typeof failureLedger>['read']>,
): Promise<PeriodStatus> {
  let builtThrough = '';
  for (const [i, r] of chain.entries()) {
    if (r?.outcome !== 'up-to-date') break;
    builtThrough = STAGE_ORDER[i];
  }
  for (const r of chain) {
    const f = r && (r.outcome === 'skipped' || r.outcome === 'failed') ? await readFailure(r.key) : undefined;
    if (f) return { period, state: 'failed', builtThrough, failure: { target: r!.key, error: f.error, ...(f.hint ? { hint: f.hint } : {}), at: f.at, attempts: f.attempts } };
  }
  const first = chain.find((r) => r && r.outcome !== 'up-to-date');
  if (!first) return { period, state: 'built', builtThrough };
  const neverBuilt = builtThrough === '' && first.reason?.kind === 'never-built';
  return { period, state: neverBuilt ? 'pending' : 'stale', builtThrough, stale: { target: first.key, reason: first.reason ? describeReason(first.reason) : first.outcome } };
}

function render(report: PublicationStatus[], io: Io): string {
  const c = styler(io.stdout, io.env);
  const out: string[] = [];
  for (const r of report) {
    const count = (s: PeriodState) => r.periods.filter((x) => x.state === s).length;
    const width = 24;
    const filled = r.periods.length ? Math.round((count('built') / r.periods.length) * width) : 0;
    out.push(`${c.bold(r.publication)} — ${r.name}`);
    out.push(
      `  [${c.green('#'.repeat(filled))}${'.'.repeat(width - filled)}] ${count('built')}/${r.periods.length} periods built` +
        `   ${count('stale')} stale, ${count('pending')} pending, ${count('failed')} failed`,
    );
    for (const x of r.periods) {
      if (x.state === 'pending') out.push(`  ${c.dim('pending')} ${x.period} (never built)`);
      if (x.state === 'stale') out.push(`  ${c.yellow('stale')}   ${x.period}: ${label(x.stale!.target)} — ${x.stale!.reason}`);
      if (x.state === 'failed') {
        const f = x.failure!;
        out.push(`  ${c.red('failed')}  ${x.period}: ${label(f.target)} at ${f.at} (attempt ${f.attempts}): ${f.error}`);
        if (f.hint) out.push(`          hint: ${f.hint}`);
      }
    }
    const byTable = new Map<string, { period: string; rows: number }[]>();
    for (const t of r.tables) byTable.set(t.table, [...(byTable.get(t.table) ?? []), t]);
    for (const [table, periods] of byTable) {
      const total = periods.reduce((n, x) => n + x.rows, 0);
      out.push(`  ${table}: ${total.toLocaleString('en-GB')} rows (${periods.map((x) => `${x.period} ${x.rows.toLocaleString('en-GB')}`).join(', ')})`);
    }
    out.push('');
  }
  return out.join('\n');
}
