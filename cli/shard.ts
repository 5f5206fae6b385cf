/** `build --shard i/n`: this machine's share of the selection, and the line saying which share it is. */
import { parseShard, planShard, selectableStages, shardTargets, stageRank, type PeriodTarget, type Pipeline } from '../rules/index.ts';
import type { Io } from './io.ts';

/** Parses `--shard` before anything is opened (a malformed value is a usage error, exit 2). */
export const shardOption = async (text: string | undefined) => (text === undefined ? undefined : parseShard(text));

/** The targets of shard `text` among `targets` (each stopped at its last period stage), said once on stderr (or as a JSON event). */
export async function shardSelection(io: Io, json: boolean, pipeline: Pipeline, targets: PeriodTarget[], text: string): Promise<PeriodTarget[]> {
  const shard = await parseShard(text);
  const plan = await planShard(pipeline.ws.rawConfig, pipeline.ws.paths, shard);
  const periodStages = pipeline.stages.filter((s) => s.grain === 'period').map((s) => s.name);
  const rank = (name: string) => stageRank(pipeline.stages, name);
  const last = selectableStages(pipeline.stages).filter((s) => periodStages.includes(s)).pop()!;
  const mine = await shardTargets(targets, plan, last, rank);
  const cost = plan.costs.filter((c) => plan.mine.includes(c.code)).reduce((n, c) => n + c.cost, 0);
  const total = plan.costs.reduce((n, c) => n + c.cost, 0);
  const basis = plan.recorded ? 'rows recorded in the draft manifests' : 'periods (no manifests yet)';
  if (json) {
    io.stdout.write(JSON.stringify({ event: 'shard', index: shard.index, count: shard.count, publications: plan.mine, cost, total, basis }) + '\n');
  } else {
    const share = total ? Math.round((100 * cost) / total) : 0;
    io.stderr.write(`shard ${shard.index}/${shard.count}: ${plan.mine.length} of ${plan.costs.length} publications (${plan.mine.join(', ') || 'none'}), ${share}% of the cost by ${basis}; Parquet and catalog are left to a final build without --shard\n`);
  }
  return mine;
}
