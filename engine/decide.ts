/**
 * Whether a target must run, as data: the checks in their fixed order, cheapest first. Record, rule version,
 * inputs (each brought up to date first), outputs, and last whatever the caller forces.
 */
import type { TargetResult } from './session.ts';
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

/**
 * `required`: the inputs the rule declares up front (`staticInputs`). A bad one of those blocks the target. Any
 * other bad input may have been read with `needOptional`, which must not block: the target runs, and a
 * required one fails its `need` there as it would have here (found by tests/engine/random.test.ts).
 */
export async function decide(rule: Rule, found: Found | undefined, wait: Wait, forced: StaleReason | undefined, required: ReadonlySet<TargetKey> = new Set()): Promise<{ reason?: StaleReason } | { block: BlockReason }> {
  if (!found) return { reason: { kind: 'never-built', ...(rule.store.recordsIn ? { recordsIn: rule.store.recordsIn } : {}) } };
  const { record } = found;
  if (record.version !== rule.version) return { reason: { kind: 'rule-changed', from: record.version, to: rule.version } };
  const results = await all(Object.keys(record.inputs), wait);
  let pending: StaleReason | undefined;
  for (const res of results) {
    const was = record.inputs[res.key];
    if (isBad(res) && was === UNAVAILABLE) continue; // still unavailable: nothing changed
    if (isBad(res) && required.has(res.key)) return { block: { kind: 'input-failed', input: res.key } };
    if (isBad(res)) return { reason: { kind: 'input-changed', input: res.key, from: was, to: UNAVAILABLE } };
    if (res.outcome === 'would-run') pending ??= { kind: 'input-will-rebuild', input: res.key, ...(res.isSource ? { source: true as const } : {}) };
    else if (res.digest !== was) return { reason: { kind: 'input-changed', input: res.key, from: was, to: res.digest ?? MISSING } };
  }
  if (pending) return { reason: pending };
  if (found.current === undefined) return { reason: { kind: 'output-missing' } };
  if (found.current !== record.output) return { reason: { kind: 'output-modified', from: record.output, to: found.current } };
  return forced ? { reason: forced } : {};
}

/**
 * A recorded failure still applies when the rule version and every input it had are unchanged. In a dry run an
 * input that would be rebuilt is not known yet: when every other input is unchanged, the answer is that input
 * (`pending`), and the plan says the target may run, not that it will (found by tests/engine/random.test.ts).
 */
export async function failureStillHolds(rule: Rule, failure: FailureRecord, wait: Wait): Promise<boolean | { pending: TargetKey }> {
  if (failure.version !== rule.version) return false;
  const results = await all(Object.keys(failure.inputs), wait);
  let pending: TargetKey | undefined;
  for (const r of results) {
    if (r.outcome === 'would-run') pending ??= r.key;
    else if ((r.digest ?? UNAVAILABLE) !== failure.inputs[r.key]) return false;
  }
  return pending === undefined ? true : { pending };
}
