/**
 * Which publications a shard builds (`build --shard i/n`), from the checkout alone: the config, and as recorded
 * cost the rows each period's draft manifest counted (`row_count` of its tables) where one exists. Never from the
 * database: shards running at once would read it at different moments and could disagree on the split.
 *
 * A shard writes draft manifests, so the costs a checkout shows change as its shards run: the costs are taken once
 * per configured selection and kept in `.cache/shard-costs.json`, and every later shard in the same folder (the
 * next `i` of the same round, a rerun of a failed one) splits on the same costs. A fresh clone (a CI machine)
 * takes them from its checkout, which is the same on every machine. A change to the configured periods starts a
 * new round: costs are taken again from the manifests as they are then.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '../engine/digest.ts';
import { writeFileAtomic } from '../lib/atomic.ts';
import type { PipelineConfig } from '../lib/config/types.ts';
import { assignShards, publicationCosts, type Costed, type Shard } from '../lib/shard.ts';
import type { PeriodTarget } from './targets.ts';

export interface ShardPlan {
  /** The publications of this shard, in config order. */
  mine: string[];
  /** Every publication's estimated cost, and whether any cost came from a manifest (else: equal costs by period). */
  costs: Costed[];
  recorded: boolean;
}

/** Rows a draft manifest counted, or undefined when the period was never drafted here. */
async function draftRows(manifests: string, code: string, period: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(manifests, 'draft', code, `${period}.yaml`), 'utf8');
  } catch {
    return undefined;
  }
  let rows = 0;
  for (const m of text.matchAll(/^\s*row_count: (\d+)\s*$/gm)) rows += Number(m[1]);
  return rows;
}

interface Kept { round: string; costs: Costed[]; recorded: boolean }

/** This shard's share of the configured publications (`paths`: the workspace's manifests and cache folders). */
export async function planShard(config: PipelineConfig, paths: { manifests: string; cache: string }, shard: Shard): Promise<ShardPlan> {
  const round = digestOf(config.publications.map((p) => [p.code, p.periods.map((e) => e.period.label)]));
  const file = join(paths.cache, 'shard-costs.json');
  let kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Kept, () => undefined);
  if (kept?.round !== round) {
    kept = { round, ...(await takeCosts(config, paths.manifests)) };
    await writeFileAtomic(file, JSON.stringify(kept) + '\n');
  }
  const where = assignShards(kept.costs, shard.count);
  return { mine: config.publications.map((p) => p.code).filter((c) => where.get(c) === shard.index), costs: kept.costs, recorded: kept.recorded };
}

async function takeCosts(config: PipelineConfig, manifests: string): Promise<{ costs: Costed[]; recorded: boolean }> {
  const periods = await Promise.all(
    config.publications.flatMap((p) => p.periods.map(async (e) => ({ code: p.code, cost: await draftRows(manifests, p.code, e.period.label) }))),
  );
  // A publication with no period configured still belongs to one shard.
  for (const p of config.publications) if (!p.periods.length) periods.push({ code: p.code, cost: 0 });
  return { costs: publicationCosts(periods), recorded: periods.some((p) => p.cost !== undefined && p.cost > 0) };
}

/** The targets of a selection that belong to the shard, each up to its last period stage (no table, no catalog). */
export function shardTargets(targets: PeriodTarget[], plan: ShardPlan, lastPeriodStage: string, rank: (stage: string) => number): PeriodTarget[] {
  const mine = new Set(plan.mine);
  return targets
    .filter((t) => mine.has(t.publication))
    .map((t) => (rank(t.stage) > rank(lastPeriodStage) ? { ...t, stage: lastPeriodStage } : t));
}
