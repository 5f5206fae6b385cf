/**
 * The command-line target syntax: `pub`, `pub/period`, either with `:stage` (`adhd/2025-05:canonical`),
 * and how a selection maps onto engine keys.
 */
import { didYouMean, type PipelineConfig } from '../lib/config/index.ts';

export const STAGES = ['download', 'draft', 'enriched', 'canonical', 'loaded', 'parquet'] as const;
export type Stage = (typeof STAGES)[number];

/** One selected publication period and the last stage to build. */
export interface PeriodTarget { publication: string; period: string; stage: Stage }

export class TargetError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

/** Expands target arguments (none = everything) into publication periods, each up to a stage. */
export function selectTargets(args: string[], config: PipelineConfig): PeriodTarget[] {
  const all = (stage: Stage) =>
    config.publications.flatMap((p) => p.periods.map((e) => ({ publication: p.code, period: e.period.label, stage })));
  if (args.length === 0) return all('parquet');
  const seen = new Map<string, PeriodTarget>();
  for (const arg of args) {
    for (const t of parseOne(arg, config)) {
      const k = `${t.publication}/${t.period}`;
      const prev = seen.get(k);
      if (!prev || STAGES.indexOf(t.stage) > STAGES.indexOf(prev.stage)) seen.set(k, t);
    }
  }
  return [...seen.values()];
}

function parseOne(arg: string, config: PipelineConfig): PeriodTarget[] {
  const [path, stageText, extra] = arg.split(':');
  if (extra !== undefined) throw new TargetError(`target "${arg}" has more than one ":"`, 'write pub, pub/period, or either followed by :stage');
  const stage = (stageText ?? 'parquet') as Stage;
  if (!STAGES.includes(stage)) {
    const guess = didYouMean(stageText!, [...STAGES]);
    throw new TargetError(`unknown stage "${stageText}" in target "${arg}"`, `${guess ? `did you mean "${guess}"? ` : ''}stages: ${STAGES.join(', ')}`);
  }
  const [code, period, rest] = path.split('/');
  if (rest !== undefined) throw new TargetError(`target "${arg}" has too many "/"`, 'write pub or pub/period');
  const pub = config.publications.find((p) => p.code === code);
  if (!pub) {
    const codes = config.publications.map((p) => p.code);
    const guess = didYouMean(code, codes);
    throw new TargetError(
      `unknown publication "${code}" in target "${arg}"`,
      `${guess ? `did you mean "${guess}"? ` : ''}publications in ${config.file}: ${codes.join(', ') || '(none)'}`,
    );
  }
  if (period === undefined || period === '') {
    return pub.periods.map((e) => ({ publication: pub.code, period: e.period.label, stage }));
  }
  if (!pub.periods.some((e) => e.period.label === period)) {
    const labels = pub.periods.map((e) => e.period.label);
    const guess = didYouMean(period, labels);
    throw new TargetError(
      `publication "${code}" has no period "${period}" in ${config.file}`,
      `${guess ? `did you mean "${guess}"? ` : ''}configured periods: ${labels.join(', ')}`,
    );
  }
  return [{ publication: pub.code, period, stage }];
}

/** The engine key of a publication period at a stage (the `parquet` stage is handled per table). */
export function stageKey(stage: Exclude<Stage, 'parquet'>, pub: string, period: string): string {
  return `${stage}:${pub}/${period}`;
}
