/**
 * Why a target must run (or why it won't): staleness as data. The engine decides once; `build -n`,
 * `explain` and `status` only render these.
 */
import type { TargetKey } from './rule.ts';

export type StaleReason =
  | { kind: 'never-built'; recordsIn?: string }
  | { kind: 'rule-changed'; from: string; to: string }
  | { kind: 'input-changed'; input: TargetKey; from: string; to: string }
  | { kind: 'input-will-rebuild'; input: TargetKey; source?: true }
  | { kind: 'output-missing' }
  | { kind: 'output-modified'; from: string; to: string }
  | { kind: 'forced'; why: string }
  | { kind: 'retry-failed'; error: string };

/** Why a target was not built at all. */
export type BlockReason =
  | { kind: 'previous-failure'; error: string; at: string; attempts: number }
  | { kind: 'input-failed'; input: TargetKey };

const short = (d: string) => (d.length > 12 ? d.slice(0, 12) : d);

/** One line for people. */
export function describeReason(r: StaleReason | BlockReason): string {
  switch (r.kind) {
    case 'never-built':
      return r.recordsIn ? `no record in ${r.recordsIn} (never built, or ${r.recordsIn} is new)` : 'output missing (never built)';
    case 'rule-changed':
      return `rule version changed ${r.from} → ${r.to}`;
    case 'input-changed':
      return `input ${r.input} changed ${short(r.from)} → ${short(r.to)}`;
    case 'input-will-rebuild':
      return r.source
        ? `input ${r.input} is known only once the targets it depends on have run (runs only if it changes)`
        : `input ${r.input} will be rebuilt (runs only if its output changes)`;
    case 'output-missing':
      return 'output missing';
    case 'output-modified':
      return `output modified since it was built ${short(r.from)} → ${short(r.to)}`;
    case 'forced':
      return r.why;
    case 'retry-failed':
      return `previous attempt failed, retrying (--retry-failed): ${r.error}`;
    case 'previous-failure':
      return `previous attempt failed at ${r.at} (attempt ${r.attempts}) and its inputs have not changed; not retried without --retry-failed: ${r.error}`;
    case 'input-failed':
      return `input ${r.input} failed`;
    default:
      return unreachable(r);
  }
}

export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
