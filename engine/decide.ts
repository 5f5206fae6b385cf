/**
 * Whether a target must run, as data: the checks in their fixed order, cheapest first. Record, rule version,
 * inputs (each brought up to date first), outputs, and last whatever the caller forces.
 */
import type { TargetResult } from './build.ts';
import type { FailureRecord } from './ledger.ts';
import { MISSING, UNAVAILABLE, type Found, type Rule, type TargetKey } from './rule.ts';
import type { BlockReason, StaleReason } from './stale.ts';

/** Brings a key up to date on behalf of the target being decided (a settled key is answered at once). */
export type Wait = (key: TargetKey) => TargetResult | Promise<TargetResult>;

/** The results of `keys`, awaiting only when one of them is not settled yet. */
function all(keys: TargetKey[], wait: Wait): TargetResult[] | Promise<TargetResult[]> {
  const out = keys.map(wait);
  return out.some((r) => r instanceof Promise) ? Promise.all(out) : (out as TargetResult[]);
}

/** True for a result a dependent cannot build on. */
export const isBad = (r: TargetResult) => r.outcome === 'failed' || r.outcome === 'skipped' || r.outcome === 'cancelled';

export async function decide(rule: Rule, found: Found | undefined, wait: Wait, forced: StaleReason | undefined): Promise<{ reason?: StaleReason } | { block: BlockReason }> {
  if (!found) return { reason: { kind: 'never-built', ...(rule.store.recordsIn ? { recordsIn: rule.store.recordsIn } : {}) } };
  const { record } = found;
  if (record.version !== rule.version) return { reason: { kind: 'rule-changed', from: record.version, to: rule.version } };
  const results = await all(Object.keys(record.inputs), wait);
  let pending: StaleReason | undefined;
  for (const res of results) {
    const was = record.inputs[res.key];
    if (isBad(res) && was === UNAVAILABLE) continue; // still unavailable: nothing changed
    if (isBad(res)) return { block: { kind: 'input-failed', input: res.key } };
    if (res.outcome === 'would-run') pending ??= { kind: 'input-will-rebuild', input: res.key, ...(res.isSource ? { source: true as const } : {}) };
    else if (res.digest !== was) return { reason: { kind: 'input-changed', input: res.key, from: was, to: res.digest ?? MISSING } };
  }
  if (pending) return { reason: pending };
  if (found.current === undefined) return { reason: { kind: 'output-missing' } };
  if (found.current !== record.output) return { reason: { kind: 'output-modified', from: record.output, to: found.current } };
  return forced ? { reason: forced } : {};
}

/** A recorded failure still applies when the rule version and every input it had are unchanged. */
export async function failureStillHolds(rule: Rule, failure: FailureRecord, wait: Wait): Promise<boolean> {
  if (failure.version !== rule.version) return false;
  const results = await all(Object.keys(failure.inputs), wait);
  return results.every((r) => (r.digest ?? UNAVAILABLE) === failure.inputs[r.key]);
}
