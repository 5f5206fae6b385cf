/**
 * The build session: brings targets up to date, in parallel, keeping going past failures.
 *
 * For each target it asks the rule's store what its artifacts say (record and current output), brings every
 * recorded input up to date first (recursively), and compares digests: a target runs only when an input's
 * digest, its rule version or its output differs from the record (see {@link StaleReason}). Because
 * dependents compare *output* digests, a target rebuilt to identical bytes leaves its dependents fresh (early
 * cutoff). Dependencies are dynamic: a rule `need`s inputs while it runs, gets their values, and the session
 * records their digests.
 */
import { setMaxListeners } from 'node:events';
import { decide, failureStillHolds, isBad } from './decide.ts';
import type { Digest } from './digest.ts';
import type { BuildEvent, FailureInfo } from './events.ts';
import { WaitGraph } from './graph.ts';
import type { FailureRecord } from './ledger.ts';
import { runContext } from './context.ts';
import { runChecked } from './reads.ts';
import { MISSING, PENDING, splitKey, type Claim, type Rule, type TargetKey, type TargetRecord } from './rule.ts';
import { CycleError, InputFailedError, type BuildOptions, type Summary, type TargetResult } from './session.ts';
import { Slots } from './slots.ts';
import type { BlockReason, StaleReason } from './stale.ts';

const asBug = (err: unknown): FailureInfo => ({ kind: 'bug', transient: false, message: err instanceof Error ? err.message : String(err) });

export class BuildSession {
  readonly #rules: Map<string, Rule>;
  readonly #memo = new Map<TargetKey, Promise<TargetResult>>();
  readonly #values = new Map<TargetKey, Promise<unknown>>();
  readonly #slots: Slots;
  readonly #waits = new WaitGraph();
  readonly #results = new Map<TargetKey, TargetResult>();
  /** Every key (target or source) whose result is known, so `need` of a settled key never gives up its slot. */
  readonly #settled = new Map<TargetKey, TargetResult>();
  readonly #classify: (err: unknown) => FailureInfo;

  constructor(private readonly opts: BuildOptions) {
    // Every running target listens to the build's signal (a slot, a retry's pause, a request, a transaction):
    // more than Node's default 10 listeners is the design, not a leak, and must not print MaxListenersExceededWarning.
    setMaxListeners(0, opts.signal);
    this.#rules = new Map(opts.rules.map((r) => [r.name, r]));
    this.#slots = new Slots(opts.jobs);
    this.#classify = opts.classify ?? asBug;
  }

  /** True when a key names a target (its prefix is a rule), false for a source. */
  isTarget(key: TargetKey): boolean {
    return this.#rules.has(splitKey(key).rule);
  }

  /** Brings `keys` up to date (or, in a dry run, decides what would run). */
  async build(keys: TargetKey[]): Promise<TargetResult[]> {
    return Promise.all(keys.map((k) => this.ensure(k)));
  }

  /** Every target visited so far, with how it ended. */
  results(): TargetResult[] {
    return [...this.#results.values()];
  }

  summary(): Summary {
    const s: Summary = { 'up-to-date': 0, ran: 0, 'would-run': 0, failed: 0, skipped: 0, cancelled: 0 };
    for (const r of this.#results.values()) s[r.outcome]++;
    return s;
  }

  /**
   * The value of a key this session decided: what dependents would get through `need`. For a target a dry run
   * would rebuild, the value its store holds now (the last build's), if any. Undefined when there is none.
   */
  async valueOf<V>(key: TargetKey): Promise<V | undefined> {
    const res = this.#settled.get(key);
    if (!res || isBad(res)) return undefined;
    if (res.outcome === 'would-run' && !res.isSource) {
      const { rule, id } = splitKey(key);
      return (this.#rules.get(rule)?.store.read(id) as Promise<V> | undefined)?.catch(() => undefined);
    }
    if (res.digest === undefined) return undefined;
    return (this.#value(key, res) as Promise<V>).catch(() => undefined);
  }

  /** Memoised: each key is decided (and run) at most once per session. */
  ensure(key: TargetKey): Promise<TargetResult> {
    let p = this.#memo.get(key);
    if (!p) {
      const proven = this.#proven(key);
      p = proven ? Promise.resolve(proven) : this.#ensureOnce(key).then((r) => (this.#settled.set(key, r), r));
      this.#memo.set(key, p);
    }
    return p;
  }

  /** A target `known` up to date (a deps log proved it) settles at once, without an async step: at 2,000 periods, 10,000 do. */
  #proven(key: TargetKey): TargetResult | undefined {
    const known = this.opts.known?.(key);
    if (!known) return undefined;
    const { rule: name, id } = splitKey(key);
    const rule = this.#rules.get(name);
    if (!rule || (rule.exists && !rule.exists(id))) return undefined;
    const proven = this.#end({ key, outcome: 'up-to-date', digest: known.digest, inputs: known.inputs });
    this.#results.set(key, proven);
    this.#settled.set(key, proven);
    return proven;
  }

  /**
   * `from` waits for `key`; refused with a {@link CycleError} when `key` already waits for `from`. A settled key
   * is answered at once (no promise): most waits of a build with little to do are for keys already decided.
   */
  #wait(from: TargetKey, key: TargetKey): TargetResult | Promise<TargetResult> {
    const settled = this.#settled.get(key);
    if (settled) return settled;
    // A source waits for nothing, so waiting for one can close no loop.
    if (!this.#rules.has(key.slice(0, key.indexOf(':')))) return this.ensure(key);
    const cycle = this.#waits.wait(from, key);
    if (cycle) return Promise.reject(new CycleError(cycle));
    return this.ensure(key).finally(() => this.#waits.done(from, key));
  }

  async #ensureOnce(key: TargetKey): Promise<TargetResult> {
    const { rule: name, id } = splitKey(key);
    const rule = this.#rules.get(name);
    if (!rule) {
      const digest = (await this.opts.sources.digest(key)) ?? MISSING;
      if (digest === PENDING && this.opts.dryRun) return { key, outcome: 'would-run', isSource: true };
      return { key, outcome: 'up-to-date', digest, isSource: true };
    }
    if (rule.exists && !rule.exists(id)) return { key, outcome: 'up-to-date', digest: MISSING, isSource: true };
    let result: TargetResult;
    try {
      result = await this.#decideAndRun(rule, key, id);
    } catch (err) {
      // Reading a record or checking an output threw (a corrupt artifact, a database that cannot be
      // reached, a cycle): this target fails, others go on, its known upstream included.
      const ups = rule.staticInputs?.(id) ?? [];
      await Promise.all(ups.map((k) => Promise.resolve(this.#wait(key, k)).catch(() => undefined)));
      result = this.#end({ key, outcome: 'failed', error: this.#failure(err) });
    }
    this.#results.set(key, result);
    return result;
  }

  #failure(err: unknown): FailureInfo {
    return err instanceof CycleError ? { kind: 'bug', transient: false, message: err.message } : this.#classify(err);
  }

  async #decideAndRun(rule: Rule, key: TargetKey, id: string): Promise<TargetResult> {
    if (this.opts.signal.aborted) return this.#end({ key, outcome: 'cancelled' });
    const found = await rule.store.find(id);
    const record = found?.record;
    const decision = await decide(rule, found, (k) => this.#wait(key, k), this.opts.force?.(key), new Set(rule.staticInputs?.(id) ?? []));
    if ('block' in decision) return this.#end({ key, outcome: 'skipped', reason: decision.block });
    if (!decision.reason) return this.#end({ key, outcome: 'up-to-date', digest: record!.output, inputs: Object.keys(record!.inputs) });

    let reason: StaleReason = decision.reason;
    const failure = await this.opts.ledger?.read(key);
    const holds = failure ? await failureStillHolds(rule, failure, (k) => this.#wait(key, k)) : false;
    if (typeof holds === 'object' && !this.opts.retryFailed) {
      // Dry run: it failed with these inputs, and one of them is yet to be rebuilt. It runs only if that changes.
      reason = { kind: 'input-will-rebuild', input: holds.pending };
    } else if (failure && holds) {
      if (!this.opts.retryFailed) {
        const block: BlockReason = { kind: 'previous-failure', error: failure.error, at: failure.at, attempts: failure.attempts };
        const error = { kind: failure.kind ?? 'input', transient: false, message: failure.error, ...(failure.hint ? { hint: failure.hint } : {}) };
        return this.#end({ key, outcome: 'skipped', reason: block, error });
      }
      reason = { kind: 'retry-failed', error: failure.error };
    }
    if (this.opts.dryRun) {
      if (!record && rule.staticInputs) {
        // Never built: plan its known upstream too, and report it blocked if any of that cannot build.
        const ups = await Promise.all(rule.staticInputs(id).map((k) => this.#wait(key, k)));
        const bad = ups.find(isBad);
        if (bad) return this.#end({ key, outcome: 'skipped', reason: { kind: 'input-failed', input: bad.key } });
      }
      return this.#end({ key, outcome: 'would-run', reason });
    }
    return this.#run(rule, key, id, record, reason, failure);
  }

  async #run(rule: Rule, key: TargetKey, id: string, record: TargetRecord | undefined, reason: StaleReason, previous: FailureRecord | undefined): Promise<TargetResult> {
    const { signal } = this.opts;
    const inputs: Record<TargetKey, Digest> = {};
    // Inputs known up front are brought up to date before this target starts, so progress reads in
    // dependency order and a target whose input failed is skipped without ever starting.
    const ups = await Promise.all((rule.staticInputs?.(id) ?? []).map((k) => this.#wait(key, k)));
    for (const up of ups) {
      if (up.digest === undefined || isBad(up)) {
        return this.#end({ key, outcome: up.outcome === 'cancelled' ? 'cancelled' : 'skipped', reason: { kind: 'input-failed', input: up.key } });
      }
      inputs[up.key] = up.digest;
    }
    try {
      await this.#slots.acquire(signal);
    } catch {
      return this.#end({ key, outcome: 'cancelled', reason });
    }
    // The claim is taken only now, with the inputs up to date and a slot held: a build holds at most -j claims (each
    // may be a server connection), never one per stale target while its inputs are still being built.
    const notice = (message: string) => this.#emit({ type: 'target-log', key, message, level: 'notice' });
    let claim: Claim | undefined;
    try {
      claim = await rule.claim?.(id, { signal, notice });
      if (claim?.waited) {
        // Another process built it while this one waited: decide again on what its store holds now.
        const now = await rule.store.find(id);
        const again = await decide(rule, now, (k) => this.#wait(key, k), this.opts.force?.(key), new Set(rule.staticInputs?.(id) ?? []));
        if (!('block' in again) && !again.reason) {
          await claim.release();
          this.#slots.release();
          return this.#end({ key, outcome: 'up-to-date', digest: now!.record.output, inputs: Object.keys(now!.record.inputs) });
        }
      }
    } catch (err) {
      await claim?.release();
      this.#slots.release();
      if (signal.aborted) return this.#end({ key, outcome: 'cancelled', reason });
      throw err;
    }
    // The time a rule reports is its own: the time it held a slot, not the time it waited for its inputs.
    const busy = { ms: 0, since: this.opts.now().getTime() };
    const ctx = runContext(rule, key, id, inputs, busy, {
      signal,
      now: this.opts.now,
      slots: this.#slots,
      settled: (dep) => this.#settled.get(dep),
      wait: (dep) => this.#wait(key, dep),
      value: (dep, res) => this.#value(dep, res),
      log: (message, level) => this.#emit({ type: 'target-log', key, message, ...(level ? { level } : {}) }),
    });
    this.#emit({ type: 'target-start', key, reason });
    try {
      const declared = new Set(Object.keys(inputs));
      const out = await (this.opts.checkReads ? runChecked(key, declared, () => rule.run(ctx)) : rule.run(ctx));
      if (out.value !== undefined) this.#values.set(key, Promise.resolve(out.value));
      await this.opts.ledger?.clear(key);
      const changed = record?.output !== out.output;
      return this.#end({ key, outcome: 'ran', reason, digest: out.output, changed, inputs: Object.keys(inputs) }, busy, out.summary, out.stats);
    } catch (err) {
      if (err instanceof InputFailedError) {
        return this.#end({ key, outcome: 'skipped', reason: { kind: 'input-failed', input: err.input } }, busy);
      }
      if (signal.aborted) return this.#end({ key, outcome: 'cancelled', reason }, busy);
      const error = this.#failure(err);
      const attempts = (previous?.attempts ?? 0) + 1;
      const record = { target: key, rule: rule.name, version: rule.version, error: error.message, hint: error.hint, kind: error.kind, at: this.opts.now().toISOString(), attempts, inputs };
      if (!error.transient) await this.opts.ledger?.write(record);
      else await this.opts.ledger?.attempted?.({ ...record, attempts: 1 }).catch(() => undefined);
      return this.#end({ key, outcome: 'failed', reason, error }, busy);
    } finally {
      await claim?.release();
      this.#slots.release();
    }
  }

  /** The value of a settled key, read once per session: a source's value, or what the target's store holds. */
  #value(key: TargetKey, res: TargetResult): Promise<unknown> {
    let v = this.#values.get(key);
    if (!v) {
      const { rule, id } = splitKey(key);
      const owner = this.#rules.get(rule);
      if (res.digest === MISSING) v = Promise.resolve(undefined); // a target no longer in the graph has no value
      else v = res.isSource || !owner ? (this.opts.sources.value?.(key) ?? Promise.resolve(undefined)) : owner.store.read(id);
      this.#values.set(key, v);
    }
    return v;
  }

  #end(result: TargetResult, busy?: { ms: number; since: number }, summary?: string, stats?: Record<string, number>): TargetResult {
    const ms = busy === undefined ? undefined : busy.ms + this.opts.now().getTime() - busy.since;
    const { key, outcome, reason, changed, error } = result;
    this.#emit({ type: 'target-end', key, outcome, reason, changed, ms, summary, stats, error });
    return result;
  }

  #emit(e: BuildEvent): void {
    this.opts.onEvent?.(e);
  }
}
