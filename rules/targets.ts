/**
 * The command-line target syntax: `pub`, `pub/period`, either with `:stage` (`adhd/2025-05:canonical`),
 * and how a selection maps onto engine keys. The stages a user may name are the period and table stages.
 */
import { didYouMean } from '../lib/config/diagnostics.ts';
import type { PipelineConfig } from '../lib/config/types.ts';
import { PipelineError } from '../lib/failure.ts';
import { stageRank, type Stage } from './stage.ts';

/** One selected publication period and the last stage to build. */
export interface PeriodTarget { publication: string; period: string; stage: string }

/** A target the command line cannot name: a usage error with a hint. */
export class TargetError extends PipelineError {
  constructor(message: string, hint: string) {
    super({ kind: 'usage', message, hint });
  }
}

/** Stage names a target may end in, in build order; the last is what a bare target means. */
export function selectableStages(stages: readonly Stage[]): string[] {
  return stages
    .filter((s) => s.grain !== 'workspace')
    .map((s) => s.name)
    .sort((a, b) => stageRank(stages, a) - stageRank(stages, b));
}

/** Whether a target path is a pattern: `*`, `?`, or empty (`:loaded` means every period, through loaded). */
const isGlob = (path: string) => path === '' || /[*?]/.test(path);

/** A glob (`*` any run of characters, `?` one) as a whole-string RegExp; `/` is never matched by either. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Every configured period whose publication matches `code` and whose period matches `period` (all when absent). */
function matchGlob(arg: string, code: string, period: string | undefined, stage: string, config: PipelineConfig): PeriodTarget[] {
  const pubRe = globRegExp(code === '' ? '*' : code);
  const periodRe = globRegExp(period === undefined || period === '' ? '*' : period);
  const found = config.publications
    .filter((p) => pubRe.test(p.code))
    .flatMap((p) => p.periods.filter((e) => periodRe.test(e.period.label)).map((e) => ({ publication: p.code, period: e.period.label, stage })));
  if (found.length === 0) {
    const codes = config.publications.map((p) => p.code);
    throw new TargetError(
      `no configured period matches "${arg}"`,
      `publications in ${config.file}: ${codes.join(', ') || '(none)'}; a pattern matches pub or pub/period, with * for any characters and ? for one`,
    );
  }
  return found;
}

/** Expands target arguments (none = everything) into publication periods, each up to a stage. */
export function selectTargets(args: string[], config: PipelineConfig, stages: readonly Stage[]): PeriodTarget[] {
  const names = selectableStages(stages);
  const last = names[names.length - 1];
  const all = (stage: string) => config.publications.flatMap((p) => p.periods.map((e) => ({ publication: p.code, period: e.period.label, stage })));
  if (args.length === 0) return all(last);
  const seen = new Map<string, PeriodTarget>();
  for (const arg of args) {
    for (const t of parseOne(arg, config, names)) {
      const k = `${t.publication}/${t.period}`;
      const prev = seen.get(k);
      if (!prev || names.indexOf(t.stage) > names.indexOf(prev.stage)) seen.set(k, t);
    }
  }
  return [...seen.values()];
}

function parseOne(arg: string, config: PipelineConfig, names: string[]): PeriodTarget[] {
  const [path, stageText, extra] = arg.split(':');
  if (extra !== undefined) throw new TargetError(`target "${arg}" has more than one ":"`, 'write pub, pub/period, or either followed by :stage');
  const stage = stageText ?? names[names.length - 1];
  if (!names.includes(stage)) {
    const guess = didYouMean(stageText!, names);
    throw new TargetError(`unknown stage "${stageText}" in target "${arg}"`, `${guess ? `did you mean "${guess}"? ` : ''}stages: ${names.join(', ')}`);
  }
  const [code, period, rest] = path.split('/');
  if (rest !== undefined) throw new TargetError(`target "${arg}" has too many "/"`, 'write pub or pub/period');
  if (isGlob(path)) return matchGlob(arg, code, period, stage, config);
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
