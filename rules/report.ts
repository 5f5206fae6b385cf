/**
 * What the status page (`report`) shows: `status`'s answer, unchanged (rules/status.ts), with the drift of
 * each table between consecutive periods (columns from the canonical manifests, rows from that same status)
 * and the stages in order. Rendering is lib/report's.
 */
import { writeFileAtomic } from '../lib/atomic.ts';
import { tableDrift, type PeriodColumns } from '../lib/report/drift.ts';
import { renderReport } from '../lib/report/html.ts';
import { countStates, type ReportInput, type StateCounts } from '../lib/report/model.ts';
import type { Stage } from './stage.ts';
import { canonicalStore, type CanonicalBody } from './stages/canonical.ts';
import { workspaceStatus } from './status.ts';
import { readManifestFile } from './stores/manifest.ts';
import type { Workspace } from './workspace.ts';

export async function workspaceReport(
  ws: Workspace,
  stages: readonly Stage[],
  opts: { jobs: number; signal: AbortSignal; now: () => Date },
): Promise<ReportInput> {
  const status = await workspaceStatus(ws, stages, opts);
  const store = canonicalStore(ws);
  const drift = [];
  for (const pub of status.publications) {
    const periods: PeriodColumns[] = [];
    for (const p of pub.periods) {
      // The manifest of the last build of the period (none for a period never built this far, or archived).
      const m = await readManifestFile<CanonicalBody>(store.path(`${pub.publication}/${p.period}`));
      if (!m || !Array.isArray(m.body.tables)) continue;
      const tables = new Map<string, string[]>();
      // A family spreads one table over several entries: its columns are theirs together.
      for (const t of m.body.tables) tables.set(t.table, [...new Set([...(tables.get(t.table) ?? []), ...t.columns.map((c) => c.name)])]);
      periods.push({ period: p.period, tables: [...tables].map(([table, columns]) => ({ table, columns })) });
    }
    drift.push(...tableDrift(pub, periods));
  }
  return {
    workspace: ws.paths.root,
    generatedAt: opts.now().toISOString(),
    status,
    drift,
    stages: stages.map((s) => ({ name: s.name, grain: s.grain })),
  };
}

/** Renders the page and writes it atomically to `path`; returns the periods in each state and the tables shown. */
export async function publishReport(path: string, input: ReportInput): Promise<{ periods: StateCounts; tables: number }> {
  await writeFileAtomic(path, renderReport(input));
  const tables = new Set(input.status.publications.flatMap((p) => p.tables.map((t) => `${p.publication}/${t.table}`)));
  return { periods: countStates(input.status.publications), tables: tables.size };
}
