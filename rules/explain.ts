/** Why each stage of a target would run, or what was checked to call it up to date: `explain`'s facts. */
import { splitKey, type TargetRecord, type TargetResult } from '../engine/index.ts';
import { buildPipeline, stageRules } from './build.ts';
import { stageRank, type Stage } from './stage.ts';
import type { PeriodTarget } from './targets.ts';
import type { Workspace } from './workspace.ts';

export interface Explained extends TargetResult {
  /** For a target up to date: the record its store holds (rule version, inputs with their digests, output). */
  record?: TargetRecord;
}

/** Plans the targets (nothing runs) and returns every target visited, in stage order, with its record. */
export async function explainTargets(ws: Workspace, stages: readonly Stage[], targets: PeriodTarget[], opts: { jobs: number; signal: AbortSignal }): Promise<Explained[]> {
  const session = await buildPipeline(ws, stages, { targets, jobs: opts.jobs, dryRun: true, signal: opts.signal });
  const rules = new Map(stageRules(ws, stages).map((r) => [r.name, r]));
  const rank = (key: string) => stageRank(stages, splitKey(key).rule);
  const results = session.results().sort((a, b) => rank(a.key) - rank(b.key) || (a.key < b.key ? -1 : 1));
  const out: Explained[] = [];
  for (const r of results) {
    if (r.outcome !== 'up-to-date') {
      out.push(r);
      continue;
    }
    const { rule, id } = splitKey(r.key);
    const found = await rules.get(rule)?.store.find(id);
    out.push({ ...r, ...(found ? { record: found.record } : {}) });
  }
  return out;
}
