/**
 * Rules, stores and targets: the vocabulary the engine shares with whatever plugs into it.
 *
 * A target key is `<rule>:<id>` (e.g. `draft:adhd/2025-05`, `parquet:adhd/adhd_summary`). One rule serves
 * many targets, like a Make pattern rule. Any key whose prefix names no rule is a *source*: a leaf input
 * (`file:…`, `config:…`) whose digest and value the injected {@link Sources} give.
 *
 * A rule's artifacts live in its {@link Store}, which reads back what they were built from: build state is
 * derived from the artifacts, never kept on the side.
 */
import type { Digest } from './digest.ts';
import type { LogLevel } from './events.ts';

/** `<rule>:<id>`. */
export type TargetKey = string;

/** Splits a key into its rule (or source scheme) and id. */
export function splitKey(key: TargetKey): { rule: string; id: string } {
  const i = key.indexOf(':');
  if (i <= 0) throw new Error(`target key "${key}" has no "<rule>:" prefix`);
  return { rule: key.slice(0, i), id: key.slice(i + 1) };
}

/**
 * What an artifact says it was built from: persisted *inside* the artifact by the rule (a provenance block
 * in a manifest, a registry row, Parquet key/value metadata), so build state is derived from artifacts.
 */
export interface TargetRecord {
  /** Rule name; a record written by another rule is treated as absent. */
  rule: string;
  /** Rule version when built: bumping a rule's version makes all its targets stale. */
  version: string;
  /** Every input the build read, target or source, with the digest it had: the dynamic dependencies. */
  inputs: Record<TargetKey, Digest>;
  /** Digest of the outputs as written; dependents record this, which gives early cutoff for free. */
  output: Digest;
}

/** What a store finds for a target: its record, and the digest of its outputs as they are now. */
export interface Found {
  record: TargetRecord;
  /** Undefined when the outputs are missing (or no longer agree with each other). */
  current: Digest | undefined;
}

/**
 * Where a rule's artifacts live, and how to read them back. Stores decide how cheaply: a file store asks the
 * build log before parsing; a database store reads all its records in one query.
 */
export interface Store<V = unknown> {
  /** The target's record and current output digest; undefined when it has no record (never built). */
  find(id: string): Promise<Found | undefined>;
  /** The target's value as its dependents use it (a manifest's body, ...). Only called once it is up to date. */
  read(id: string): Promise<V>;
  /**
   * Where the records live when that is not beside the outputs (`the database`): a missing record then
   * means "never built, or that store is new", and the plan says so.
   */
  readonly recordsIn?: string;
}

/** Handed to a rule while it runs. */
export interface RunContext {
  readonly key: TargetKey;
  readonly id: string;
  /** Cancelled on Ctrl-C: stop at the next safe point and leave no partial output. */
  readonly signal: AbortSignal;
  /** Brings another target up to date (or reads a source), records it as an input, and returns its value. */
  need<V = unknown>(key: TargetKey): Promise<V>;
  /**
   * Like {@link need}, for an input the rule can do without (a reference from another period): when it
   * fails, returns undefined and records it as {@link UNAVAILABLE}, so this target is not blocked, and is
   * rebuilt once that input builds.
   */
  needOptional<V = unknown>(key: TargetKey): Promise<V | undefined>;
  /**
   * An order-only prerequisite (Make's `| prereq`, Ninja's `||`): brings `key` up to date before this rule goes
   * on, but records nothing: a change to it does not make this target stale, and its failure does not block it.
   */
  after(key: TargetKey): Promise<void>;
  /** The digest recorded for an input already needed. */
  digestOf(key: TargetKey): Digest;
  /**
   * What this target's store held before this run (undefined: never built, or unreadable). For what must stay
   * as it was once chosen (the names of tables already loaded), not for anything an input decides.
   */
  previous<V = unknown>(): Promise<V | undefined>;
  /** The provenance to embed in the outputs: rule, version and the inputs needed so far. */
  provenance(): Omit<TargetRecord, 'output'>;
  /**
   * A progress note for reporters, shown with `-v`; a `notice` is shown always (a wait the user would
   * otherwise take for a hang, a link refused); a `progress` line (bytes, rows) replaces the one before it.
   */
  log(message: string, level?: LogLevel): void;
}

/** What a successful run returns. */
export interface RunResult<V = unknown> {
  /** Digest of the outputs written (must equal what {@link Store.find} will later report). */
  output: Digest;
  /** The value dependents get through `need`, so they do not read back what was just written. */
  value?: V;
  /** One line for people: "3 tables, 12,345 rows". */
  summary?: string;
  /** Numbers for `--json` and tests: rows written, files fetched... */
  stats?: Record<string, number>;
}

/** A parameterised rule: one per stage. */
export interface Rule<V = unknown> {
  readonly name: string;
  /** Bump when the rule's logic changes what it writes. */
  readonly version: string;
  readonly store: Store<V>;
  /**
   * Inputs the rule will certainly need, known before it runs. They are brought up to date (and recorded)
   * before the target starts, and a dry run of a target never built plans them, so the plan lists its
   * whole upstream chain.
   */
  staticInputs?(id: string): TargetKey[];
  /**
   * Whether the target is still part of the graph (e.g. its period is still configured). A recorded input
   * that no longer exists counts as changed to {@link MISSING}, so its dependents rebuild without it
   * instead of trying to build it. Absent = always exists.
   */
  exists?(id: string): boolean;
  /** Builds the target. Throw to fail (see `classify` in the build options). */
  run(ctx: RunContext): Promise<RunResult<V>>;
  /**
   * Claims a stale target before it runs, against other processes that may build it at the same time (a lock
   * they share). Taken once the target's static inputs are up to date and it holds a slot (so a build holds at most
   * `-j` claims at once, plus those of running targets waiting on inputs they `need`), resolves once held, released when the target ends. When `waited`, another process had it: the
   * target is decided again on what its store holds now (usually up to date). `notice` tells the user of a wait.
   */
  claim?(id: string, opts: { signal: AbortSignal; notice(message: string): void }): Promise<Claim>;
}

/** A target claimed by {@link Rule.claim}. */
export interface Claim { waited: boolean; release(): Promise<void> }

/** Leaf inputs: their digest (undefined when they do not exist) and, for rules that need it, their value. */
export interface Sources {
  digest(key: TargetKey): Promise<Digest | undefined>;
  value?(key: TargetKey): Promise<unknown>;
}

/** Digest recorded for a source that did not exist. */
export const MISSING: Digest = 'missing';

/** Digest recorded for an optional input that failed to build. */
export const UNAVAILABLE: Digest = 'unavailable';

/**
 * What a source may answer in a dry run when its value depends on targets that would run first (nothing
 * ran, so its current value says nothing of the value they will leave): the source is then planned like
 * a target that would run, and its dependents as "may run" rather than as certain to run.
 */
export const PENDING: Digest = 'pending';
