/**
 * `status`: per publication, a bar of periods built out of those configured; per period whether it is
 * built, stale (and why), pending (never built) or failed (error, when, attempts); and row totals per table
 * and period from the database registry, never from a counter kept on the side. `--check` exits 1 when
 * anything is stale, pending or failed, for CI gates.
 */
import type { LlmTotals } from '../../lib/llm/index.ts';
import { workspaceStatus, type PeriodState, type PublicationStatus } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { hintLocaliser } from '../hints.ts';
import { label } from '../report.ts';
import { busyNote, withPipeline } from '../workspace.ts';

/** The version of `status --json`'s shape (README.md, "Machine output"): bumped when a field changes meaning or goes. */
export const STATUS_SCHEMA = 1;

export async function statusCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  return withPipeline(io, p.global, { write: false, command: 'status', stages }, async ({ pipeline, busy }) => {
    const status = await workspaceStatus(pipeline.ws, pipeline.stages, { jobs: p.global.jobs, signal: io.signal });
    const report = status.publications;
    const unclean = report.some((r) => r.periods.some((x) => x.state !== 'built' && x.state !== 'archived'));
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'status', schema: STATUS_SCHEMA, ...(busy ? { buildInProgress: busy } : {}), ...status }) + '\n');
    else {
      if (busy) io.stdout.write(`${busyNote(busy, pipeline.ws.embedded)}\n\n`);
      io.stdout.write(render(report, io, hintLocaliser(p.global, io.cwd)));
      if (status.llm) io.stdout.write(`Model, all publications: ${modelLine(status.llm)}\n`);
    }
    return p.options.check && unclean ? EXIT.failed : EXIT.ok;
  });
}

function render(report: PublicationStatus[], io: Io, localise: (hint: string) => string): string {
  const c = styler(io.stdout, io.env);
  const out: string[] = [];
  for (const r of report) {
    const count = (s: PeriodState) => r.periods.filter((x) => x.state === s).length;
    const width = 24;
    const filled = r.periods.length ? Math.round((count('built') / r.periods.length) * width) : 0;
    out.push(`${c.bold(r.publication)} — ${r.name}`);
    out.push(
      `  [${c.green('#'.repeat(filled))}${'.'.repeat(width - filled)}] ${count('built')}/${r.periods.length} periods built` +
        `   ${count('stale')} stale, ${count('pending')} pending, ${count('failed')} failed${count('archived') ? `, ${count('archived')} archived` : ''}`,
    );
    for (const x of r.periods) {
      if (x.state === 'archived') out.push(`  ${c.dim('archived')} ${x.period}: rows in ${x.archive!.remote} only, since ${x.archive!.removedAt} (restore ${r.publication}/${x.period} brings them back)`);
      if (x.state === 'pending' && !x.lastAttempt) out.push(`  ${c.dim('pending')} ${x.period} (never built)`);
      if (x.state === 'pending' && x.lastAttempt) out.push(`  ${c.dim('pending')} ${x.period}: never built; the last attempt failed`);
      if (x.state === 'stale') out.push(`  ${c.yellow('stale')}   ${x.period}: ${label(x.stale!.target)} — ${x.stale!.reason}`);
      if (x.lastAttempt) {
        // A failure outside the data (network, a server): not remembered as a failure, so the next build tries again.
        const a = x.lastAttempt;
        out.push(`          ${label(a.target)} at ${a.at}: ${a.error} (the next build tries again)`);
        if (a.hint) out.push(`          hint: ${localise(a.hint)}`);
      }
      if (x.state === 'failed') {
        const f = x.failure!;
        out.push(`  ${c.red('failed')}  ${x.period}: ${label(f.target)} at ${f.at} (attempt ${f.attempts}): ${f.error}`);
        if (f.hint) out.push(`          hint: ${localise(f.hint)}`);
      }
    }
    const byTable = new Map<string, { period: string; rows: number }[]>();
    for (const t of r.tables) byTable.set(t.table, [...(byTable.get(t.table) ?? []), t]);
    for (const [table, periods] of byTable) {
      const total = periods.reduce((n, x) => n + x.rows, 0);
      out.push(`  ${table}: ${total.toLocaleString('en-GB')} rows (${periods.map((x) => `${x.period} ${x.rows.toLocaleString('en-GB')}`).join(', ')})`);
    }
    if (r.llm) out.push(`  model: ${modelLine(r.llm)}`);
    out.push('');
  }
  return out.join('\n');
}

/** `3 answers (1 not used), 12,345 prompt + 678 completion tokens, 4.2 s, cost 0.0123`. */
function modelLine(t: LlmTotals): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  const priced = t.answers - t.unpriced;
  const cost = priced === 0 ? 'no prices set' : `cost ${Number(t.cost.toFixed(6))}${t.unpriced ? ` (${n(t.unpriced)} asked without prices)` : ''}`;
  return `${n(t.answers)} answer${t.answers === 1 ? '' : 's'}${t.unused ? ` (${n(t.unused)} not used)` : ''}, ${n(t.promptTokens)} prompt + ${n(t.completionTokens)} completion tokens, ${(t.latencyMs / 1000).toFixed(1)} s, ${cost}`;
}
