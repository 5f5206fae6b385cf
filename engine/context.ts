/**
 * What a running rule sees (`RunContext`): `need` brings an input up to date, records its digest and hands back its
 * value; while it waits for an input the rule gives its slot back, so a rule waiting on its inputs never starves
 * them of slots, and the time it reports is only the time it held one.
 */
import { isBad } from './decide.ts';
import type { Digest } from './digest.ts';
import { runUnchecked } from './reads.ts';
import type { LogLevel } from './events.ts';
import { UNAVAILABLE, type Rule, type RunContext, type TargetKey } from './rule.ts';
import { InputFailedError, type TargetResult } from './session.ts';
import type { Slots } from './slots.ts';

/** The session's side of a running target. */
export interface ContextDeps {
  signal: AbortSignal;
  now: () => Date;
  slots: Slots;
  /** The result of a key already decided, if any (answered without giving the slot back). */
  settled(key: TargetKey): TargetResult | undefined;
  /** Brings a key up to date on behalf of this target. */
  wait(key: TargetKey): TargetResult | Promise<TargetResult>;
  value(key: TargetKey, res: TargetResult): Promise<unknown>;
  log(message: string, level?: LogLevel): void;
}

/** `inputs` collects the digests the rule `need`s; `busy` accumulates the time it held its slot. */
export function runContext(rule: Rule, key: TargetKey, id: string, inputs: Record<TargetKey, Digest>, busy: { ms: number; since: number }, deps: ContextDeps): RunContext {
  const { signal, now, slots } = deps;
  const settle = async (dep: TargetKey): Promise<TargetResult> => {
    let res = deps.settled(dep);
    if (!res) {
      busy.ms += now().getTime() - busy.since;
      slots.release();
      try {
        res = await runUnchecked(async () => deps.wait(dep));
      } finally {
        await slots.acquire(signal);
        busy.since = now().getTime();
      }
    }
    return res;
  };
  const need = async <V>(dep: TargetKey): Promise<V> => {
    const res = await settle(dep);
    if (res.digest === undefined || isBad(res)) throw new InputFailedError(dep);
    inputs[dep] = res.digest;
    return runUnchecked(() => deps.value(dep, res)) as Promise<V>;
  };
  return {
    key,
    id,
    signal,
    need,
    async needOptional<V>(dep: TargetKey): Promise<V | undefined> {
      try {
        return await need<V>(dep);
      } catch (err) {
        if (!(err instanceof InputFailedError)) throw err;
        inputs[dep] = UNAVAILABLE;
        return undefined;
      }
    },
    after: async (dep) => {
      await settle(dep);
    },
    digestOf: (dep) => {
      if (!(dep in inputs)) throw new Error(`${key} asked for the digest of ${dep}, which it did not need`);
      return inputs[dep];
    },
    provenance: () => ({ rule: rule.name, version: rule.version, inputs: { ...inputs } }),
    previous: <V>() => runUnchecked(() => (rule.store.read(id) as Promise<V>).catch(() => undefined)),
    log: deps.log,
  };
}
