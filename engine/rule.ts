/**
 * Rules and targets: the vocabulary the engine shares with whatever plugs into it.
 *
 * A target key is `<rule>:<id>` (e.g. `draft:adhd/2025-05`, `parquet:adhd/adhd_summary`). One rule serves
 * many targets, like a Make pattern rule. Any key whose prefix names no rule is a *source*: a leaf input
 * (`file:…`, `config:…`) whose digest the injected {@link Sources} compute.
 */
import type { Digest } from './digest.ts';

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

/** Handed to a rule while it runs. */
export interface RunContext {
  readonly key: TargetKey;
  readonly id: string;
  /** Cancelled on Ctrl-C: stop at the next safe point and leave no partial output. */
  readonly signal: AbortSignal;
  /** Brings another target up to date (or reads a source) and records it as an input; returns its digest. */
  need(key: TargetKey): Promise<Digest>;
  /**
   * Like {@link need}, for an input the rule can do without (a reference from another period): when it
   * fails, returns undefined and records it as {@link UNAVAILABLE}, so this target is not blocked, and is
   * rebuilt once that input builds.
   */
  needOptional(key: TargetKey): Promise<Digest | undefined>;
  /** {@link need} for several keys, concurrently. */
  needAll(keys: TargetKey[]): Promise<Digest[]>;
  /** The provenance to embed in the outputs: rule, version and the inputs needed so far. */
  provenance(): Omit<TargetRecord, 'output'>;
  /** A progress note for reporters. */
  log(message: string): void;
}

/** What a successful run returns. */
export interface RunResult {
  /** Digest of the outputs written (must equal what {@link Rule.readRecord} will later report). */
  output: Digest;
  /** One line for people: "3 tables, 12,345 rows". */
  summary?: string;
  /** Numbers for `--json` and tests: rows written, files fetched... */
  stats?: Record<string, number>;
}

/** A parameterised rule: one per stage. */
export interface Rule {
  readonly name: string;
  /** Bump when the rule's logic changes what it writes. */
  readonly version: string;
  /** Reads the record stored in the target's artifacts; undefined when there is none. */
  readRecord(id: string): Promise<TargetRecord | undefined>;
  /**
   * Where the records live when that is not beside the outputs (`the database`): a missing record then
   * means "never built, or that store is new", and the plan says so.
   */
  readonly recordsIn?: string;
  /**
   * Digest of the outputs as they are now, to catch deleted or edited outputs; undefined when missing.
   * Called only when a record exists.
   */
  currentOutput(id: string, record: TargetRecord): Promise<Digest | undefined>;
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
  /** Builds the target. Throw to fail; expected failures should carry a `hint`. */
  run(ctx: RunContext): Promise<RunResult>;
}

/** Leaf inputs: digest of a source key, or undefined when it does not exist. */
export interface Sources {
  digest(key: TargetKey): Promise<Digest | undefined>;
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
