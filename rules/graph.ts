/**
 * The DAG of a selection, as `graph` draws it: each period's chain of period stages, the tables its loads feed
 * (from the canonical manifests, as a build would find them), and the workspace stage over every table. Nothing
 * runs and nothing is read but the manifests.
 */
import { keyOf, stageRank, type Stage } from './stage.ts';
import type { PeriodTarget } from './targets.ts';
import type { Workspace } from './workspace.ts';

export interface TargetGraph {
  /** Target keys (`draft:adhd/2025-05`), in build order. */
  nodes: string[];
  /** `[from, to]`: `to` is built from `from`. */
  edges: [string, string][];
}

export async function targetGraph(ws: Workspace, stages: readonly Stage[], targets: PeriodTarget[]): Promise<TargetGraph> {
  const ordered = [...stages].sort((a, b) => stageRank(stages, a.name) - stageRank(stages, b.name));
  const periodStages = ordered.filter((s) => s.grain === 'period');
  const nodes = new Set<string>();
  const edges: [string, string][] = [];
  const reachesTables = new Set<string>();
  for (const t of targets) {
    const id = `${t.publication}/${t.period}`;
    const upTo = stageRank(stages, t.stage);
    let previous: string | undefined;
    for (const s of periodStages.filter((x) => stageRank(stages, x.name) <= upTo)) {
      const key = keyOf(s.name, id);
      nodes.add(key);
      if (previous) edges.push([previous, key]);
      previous = key;
    }
    if (ordered.some((s) => s.grain !== 'period' && stageRank(stages, s.name) <= upTo)) reachesTables.add(id);
  }
  const tableStages = ordered.filter((s) => s.grain === 'table');
  const workspaceStages = ordered.filter((s) => s.grain === 'workspace');
  const tableKeys: string[] = [];
  for (const s of tableStages) {
    const feeds = (await s.feeds?.(ws, [...reachesTables])) ?? new Map<string, string[]>();
    for (const [table, from] of [...feeds].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const key = keyOf(s.name, table);
      nodes.add(key);
      tableKeys.push(key);
      for (const f of from) if (nodes.has(f)) edges.push([f, key]);
    }
  }
  // The workspace stages (the catalog) come with a build of everything, which a graph of all targets is.
  if (tableKeys.length && targets.every((t) => stageRank(stages, t.stage) >= stageRank(stages, tableStages.at(-1)?.name ?? ''))) {
    for (const s of workspaceStages) {
      const key = keyOf(s.name, 'all');
      nodes.add(key);
      for (const t of tableKeys) edges.push([t, key]);
    }
  }
  return { nodes: [...nodes], edges };
}
