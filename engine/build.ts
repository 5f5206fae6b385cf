/**
 * The build session: brings targets up to date, in parallel, keeping going past failures.
 *
 * For each target it reads the record stored in the target's own artifacts, brings every recorded input up
 * to date first (recursively), and compares digests: a target runs only when an input's digest, its rule
 * version or its output differs from the record (see {@link StaleReason}). Because dependents compare
 * *output* digests, a target rebuilt to identical bytes leaves its dependents fresh (early cutoff).
 * Dependencies are dynamic: a rule `need`s inputs while it runs and the session records them.
 */
import type { Digest } from './digest.ts';
import type { BuildEvent, EventSink, FailureInfo, Outcome } from './events.ts';
import type { FailureLedger, FailureRecord } from './ledger.ts';
import { MISSING, PENDING, UNAVAILABLE, splitKey, type Rule, type RunContext, type Sources, type TargetKey, type TargetRecord } from './rule.ts';
import { Slots } from './slots.ts';
import type { BlockReason, StaleReason } from './stale.ts';

export interface BuildOptions {
  rules: Rule[];
  sources: Sources;
  ledger?: FailureLedger;
  /** Maximum rule runs at once. */
  jobs: number;
  /** Decide and report, run nothing. */
  dryRun?: boolean;
  /** Retry targets whose last attempt failed even though their inputs have not changed. */
  retryFailed?: boolean;
  /**
   * Makes a fresh target run anyway and says why (e.g. `--refresh` for downloads, or, in a dry run, a
   * target whose inputs a pending rebuild may change: `input-will-rebuild`); undefined leaves it alone.
   */
  force?: (key: TargetKey) => StaleReason | undefined;
  signal: AbortSignal;
  onEvent?: EventSink;
  now: () => Date;
}

export interface TargetResult {
  key: TargetKey;
  outcome: Outcome;
  /** Output digest (targets) or content digest (sources); undefined when not known (failed, would-run). */
  digest?: Digest;
  reason?: StaleReason | BlockReason;
  changed?: boolean;
  error?: FailureInfo;
  isSource?: boolean;
}

export type Summary = Record<Outcome, number>;

/** Thrown inside a rule when an input it needs did not build; the target ends as skipped, not failed. */
export class InputFailedError extends Error {
  constructor(readonly input: TargetKey) {
    super(`input ${input} did not build`);
  }
}

export class BuildSession {
  readonly #rules: Map<string, Rule>;
  readonly #memo = new Map<TargetKey, Promise<TargetResult>>();
  readonly #slots: Slots;
  readonly #results = new Map<TargetKey, TargetResult>();
  /** Every key (target or source) whose result is known, so `need` of a settled key never gives up its slot. */
  readonly #settled = new Map<TargetKey, TargetResult>();

  constructor(private readonly opts: BuildOptions) {
    this.#rules = new Map(opts.rules.map((r) => [r.name, r]));
    this.#slots = new Slots(opts.jobs);
  }

  /** True when a key names a target (its prefix is a rule), false for a source. */
  isTarget(key: TargetKey): boolean {
    return this.#rules.has(splitKey(key).rule);
  }

  /** Brings `keys` up to date (or, in a dry run, decides what would run). */
  async build(keys: TargetKey[]): Promise<TargetResult[]> {
    return Promise.all(keys.map((k) => this.ensure(k, [])));
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

  /** Memoised: each key is decided (and run) at most once per session. */
  ensure(key: TargetKey, chain: TargetKey[]): Promise<TargetResult> {
    if (chain.includes(key)) {
      return Promise.reject(new Error(`dependency cycle: ${[...chain, key].join(' → ')}`));
    }
    let p = this.#memo.get(key);
    if (!p) {
      p = this.#ensureOnce(key, chain).then((r) => (this.#settled.set(key, r), r));
      this.#memo.set(key, p);
    }
    return p;
  }

  async #ensureOnce(key: TargetKey, chain: TargetKey[]): Promise<TargetResult> {
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
      result = await this.#decideAndRun(rule, key, id, chain);
    } catch (err) {
      // Reading a record or checking an output threw (a corrupt artifact, a database that cannot be
      // reached, a cycle): this target fails, others go on, its known upstream included.
      const ups = rule.staticInputs?.(id) ?? [];
      await Promise.all(ups.map((k) => this.ensure(k, [...chain, key]).catch(() => undefined)));
      result = this.#end({ key, outcome: 'failed', error: toFailure(err) });
    }
    this.#results.set(key, result);
    return result;
  }

  async #decideAndRun(rule: Rule, key: TargetKey, id: string, chain: TargetKey[]): Promise<TargetResult> {
    if (this.opts.signal.aborted) return this.#end({ key, outcome: 'cancelled' });
    const record = await rule.readRecord(id);
    const decision = await this.#decide(rule, key, id, record, [...chain, key]);
    if ('block' in decision) return this.#end({ key, outcome: 'skipped', reason: decision.block });
    if (!decision.reason) return this.#end({ key, outcome: 'up-to-date', digest: record!.output });

    let reason: StaleReason = decision.reason;
    const failure = await this.opts.ledger?.read(key);
    if (failure && (await this.#failureStillHolds(rule, failure, [...chain, key]))) {
      if (!this.opts.retryFailed) {
        const block: BlockReason = { kind: 'previous-failure', error: failure.error, at: failure.at, attempts: failure.attempts };
        return this.#end({ key, outcome: 'skipped', reason: block, error: { message: failure.error, hint: failure.hint } });
      }
      reason = { kind: 'retry-failed', error: failure.error };
    }
    if (this.opts.dryRun) {
      if (!record && rule.staticInputs) {
        // Never built: plan its known upstream too, and report it blocked if any of that cannot build.
        const ups = await Promise.all(rule.staticInputs(id).map((k) => this.ensure(k, [...chain, key])));
        const bad = ups.find((u) => u.outcome === 'failed' || u.outcome === 'skipped' || u.outcome === 'cancelled');
        if (bad) return this.#end({ key, outcome: 'skipped', reason: { kind: 'input-failed', input: bad.key } });
      }
      return this.#end({ key, outcome: 'would-run', reason });
    }
    return this.#run(rule, key, id, record, reason, chain, failure);
  }

  /** Checks cheapest first: record, rule version, inputs (brought up to date first), outputs, forcing. */
  async #decide(
    rule: Rule,
    key: TargetKey,
    id: string,
    record: TargetRecord | undefined,
    chain: TargetKey[],
  ): Promise<{ reason?: StaleReason } | { block: BlockReason }> {
    if (!record) return { reason: { kind: 'never-built', ...(rule.recordsIn ? { recordsIn: rule.recordsIn } : {}) } };
    if (record.version !== rule.version) return { reason: { kind: 'rule-changed', from: record.version, to: rule.version } };
    const inputs = Object.keys(record.inputs);
    const results = await Promise.all(inputs.map((k) => this.ensure(k, chain)));
    let pending: StaleReason | undefined;
    for (const res of results) {
      const failed = res.outcome === 'failed' || res.outcome === 'skipped' || res.outcome === 'cancelled';
      if (failed && record.inputs[res.key] === UNAVAILABLE) continue; // still unavailable: nothing changed
      if (failed) {
        return { block: { kind: 'input-failed', input: res.key } };
      }
      if (res.outcome === 'would-run') pending ??= { kind: 'input-will-rebuild', input: res.key, ...(res.isSource ? { source: true as const } : {}) };
      else if (res.digest !== record.inputs[res.key]) {
        return { reason: { kind: 'input-changed', input: res.key, from: record.inputs[res.key], to: res.digest ?? MISSING } };
      }
    }
    if (pending) return { reason: pending };
    const current = await rule.currentOutput(id, record);
    if (current === undefined) return { reason: { kind: 'output-missing' } };
    if (current !== record.output) return { reason: { kind: 'output-modified', from: record.output, to: current } };
    const forced = this.opts.force?.(key);
    if (forced) return { reason: forced };
    return {};
  }

  /** A recorded failure still applies when the rule version and every input it had are unchanged. */
  async #failureStillHolds(rule: Rule, failure: FailureRecord, chain: TargetKey[]): Promise<boolean> {
    if (failure.version !== rule.version) return false;
    const keys = Object.keys(failure.inputs);
    const results = await Promise.all(keys.map((k) => this.ensure(k, chain)));
    return results.every((r) => (r.digest ?? UNAVAILABLE) === failure.inputs[r.key]);
  }

  async #run(
    rule: Rule,
    key: TargetKey,
    id: string,
    record: TargetRecord | undefined,
    reason: StaleReason,
    chain: TargetKey[],
    previousFailure: FailureRecord | undefined,
  ): Promise<TargetResult> {
    const { signal } = this.opts;
    const inputs: Record<TargetKey, Digest> = {};
    const myChain = [...chain, key];
    // Inputs known up front are brought up to date before this target starts, so progress reads in
    // dependency order and a target whose input failed is skipped without ever starting.
    const ups = await Promise.all((rule.staticInputs?.(id) ?? []).map((k) => this.ensure(k, myChain)));
    for (const up of ups) {
      if (up.digest === undefined || up.outcome === 'failed' || up.outcome === 'skipped' || up.outcome === 'cancelled') {
        return this.#end({ key, outcome: up.outcome === 'cancelled' ? 'cancelled' : 'skipped', reason: { kind: 'input-failed', input: up.key } });
      }
      inputs[up.key] = up.digest;
    }
    try {
      await this.#slots.acquire(signal);
    } catch {
      return this.#end({ key, outcome: 'cancelled', reason });
    }
    const started = this.opts.now().getTime();
    const need = async (dep: TargetKey): Promise<Digest> => {
      let res = this.#settled.get(dep);
      if (!res) {
        // Give the slot back while waiting, so a rule waiting on its inputs never starves them of slots.
        this.#slots.release();
        try {
          res = await this.ensure(dep, myChain);
        } finally {
          await this.#slots.acquire(signal);
        }
      }
      if (res.digest === undefined || res.outcome === 'failed' || res.outcome === 'skipped' || res.outcome === 'cancelled') {
        throw new InputFailedError(dep);
      }
      inputs[dep] = res.digest;
      return res.digest;
    };
    const needOptional = async (dep: TargetKey): Promise<Digest | undefined> => {
      try {
        return await need(dep);
      } catch (err) {
        if (!(err instanceof InputFailedError)) throw err;
        inputs[dep] = UNAVAILABLE;
        return undefined;
      }
    };
    const ctx: RunContext = {
      key,
      id,
      signal,
      need,
      needOptional,
      needAll: (keys) => Promise.all(keys.map(need)),
      provenance: () => ({ rule: rule.name, version: rule.version, inputs: { ...inputs } }),
      log: (message) => this.#emit({ type: 'target-log', key, message }),
    };
    this.#emit({ type: 'target-start', key, reason });
    try {
      const out = await rule.run(ctx);
      await this.opts.ledger?.clear(key);
      const changed = record?.output !== out.output;
      return this.#end({ key, outcome: 'ran', reason, digest: out.output, changed }, started, out.summary, out.stats);
    } catch (err) {
      if (err instanceof InputFailedError) {
        return this.#end({ key, outcome: 'skipped', reason: { kind: 'input-failed', input: err.input } }, started);
      }
      if (signal.aborted) return this.#end({ key, outcome: 'cancelled', reason }, started);
      const error = toFailure(err);
      if (!error.environmental) await this.opts.ledger?.write({
        target: key,
        rule: rule.name,
        version: rule.version,
        error: error.message,
        hint: error.hint,
        at: this.opts.now().toISOString(),
        attempts: (previousFailure?.attempts ?? 0) + 1,
        inputs,
      });
      return this.#end({ key, outcome: 'failed', reason, error }, started);
    } finally {
      this.#slots.release();
    }
  }

  #end(result: TargetResult, started?: number, summary?: string, stats?: Record<string, number>): TargetResult {
    const ms = started === undefined ? undefined : this.opts.now().getTime() - started;
    this.#emit({
      type: 'target-end',
      key: result.key,
      outcome: result.outcome,
      reason: result.reason,
      changed: result.changed,
      ms,
      summary,
      stats,
      error: result.error,
    });
    return result;
  }

  #emit(e: BuildEvent): void {
    this.opts.onEvent?.(e);
  }
}

/** Any thrown value as a failure for people: message plus the `hint` that expected errors carry. */
export function toFailure(err: unknown): FailureInfo {
  if (err instanceof Error) {
    const raw = (err as { hint?: unknown }).hint;
    const hint = typeof raw === 'string' && raw ? raw : undefined;
    // Many errors end their message with their hint; reporters print the hint on its own line, once.
    const message = hint && err.message.endsWith(hint) ? err.message.slice(0, -hint.length).replace(/[\s.—-]+$/, '') : err.message;
    const environmental = (err as { environmental?: unknown }).environmental === true;
    return { message: message || err.message, ...(hint ? { hint } : {}), ...(environmental ? { environmental: true as const } : {}) };
  }
  return { message: String(err) };
}
