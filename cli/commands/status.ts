/**
 * `status`: per publication, periods built through each stage out of those configured, what is stale
 * (and why) or failed (error, when, attempts), and row totals per table and period from the registry.
 */
import { describeReason, splitKey, type TargetResult } from '../../engine/index.ts';
import { readLoads } from '../../lib/db/registry.ts';
import { buildPipeline, failureLedger, selectTargets, STAGES } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { label } from '../report.ts';
import { withWorkspace } from '../workspace.ts';

interface PublicationStatus {
  publication: string;
  name: string;
  periods: number;
  built: Record<string, number>;
  stale: { target: string; reason: string }[];
  failed: { target: string; error: string; at: string; attempts: number; hint?: string }[];
  tables: { table: string; period: string; rows: number }[];
}

export async function statusCommand(io: Io, p: Parsed): Promise<number> {
  return withWorkspace(io, p.global, { lock: false, command: 'status' }, async (ws) => {
    const session = await buildPipeline(ws, { targets: selectTargets([], ws.config), jobs: p.global.jobs, dryRun: true, signal: io.signal });
    const results = session.results();
    const ledger = failureLedger(ws);
    const loads = await readLoads(await ws.db());
    const report: PublicationStatus[] = [];
    for (const pub of ws.config.publications) {
      const mine = results.filter((r) => splitKey(r.key).id.startsWith(`${pub.code}/`));
      const built: Record<string, number> = {};
      for (const stage of STAGES.filter((s) => s !== 'parquet')) {
        built[stage] = mine.filter((r) => r.key.startsWith(`${stage}:`) && r.outcome === 'up-to-date').length;
      }
      const failed = [];
      for (const r of mine.filter((x) => x.outcome === 'skipped' || x.outcome === 'failed')) {
        const f = await ledger.read(r.key);
        if (f) failed.push({ target: r.key, error: f.error, at: f.at, attempts: f.attempts, ...(f.hint ? { hint: f.hint } : {}) });
      }
      const totals = new Map<string, number>();
      for (const l of loads.filter((x) => x.publication === pub.code)) totals.set(`${l.table}\u0000${l.period}`, (totals.get(`${l.table}\u0000${l.period}`) ?? 0) + l.rowCount);
      report.push({
        publication: pub.code,
        name: pub.name,
        periods: pub.periods.length,
        built,
        stale: mine.filter((r) => r.outcome === 'would-run').map((r) => ({ target: r.key, reason: r.reason ? describeReason(r.reason) : '' })),
        failed,
        tables: [...totals].map(([k, rows]) => ({ table: k.split('\u0000')[0], period: k.split('\u0000')[1], rows })).sort((a, b) => (a.table + a.period < b.table + b.period ? -1 : 1)),
      });
    }
    const unclean = report.some((r) => r.stale.length || r.failed.length) || results.some((r: TargetResult) => r.outcome === 'would-run' || r.outcome === 'failed');
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'status', publications: report }) + '\n');
    else io.stdout.write(render(report, io));
    return p.options.check && unclean ? EXIT.failed : EXIT.ok;
  });
}

function render(report: PublicationStatus[], io: Io): string {
  const c = styler(io.stdout, io.env);
  const out: string[] = [];
  for (const r of report) {
    const loaded = r.built.loaded ?? 0;
    const width = 20;
    const filled = r.periods ? Math.round((loaded / r.periods) * width) : 0;
    out.push(`${c.bold(r.publication)} — ${r.name}`);
    out.push(`  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${loaded}/${r.periods} periods loaded  (${Object.entries(r.built).map(([s, n]) => `${s} ${n}`).join(', ')})`);
    for (const s of r.stale) out.push(`  ${c.yellow('stale')}  ${label(s.target)} — ${s.reason}`);
    for (const f of r.failed) out.push(`  ${c.red('failed')} ${label(f.target)} at ${f.at} (attempt ${f.attempts}): ${f.error}${f.hint ? `\n         hint: ${f.hint}` : ''}`);
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
