/**
 * What a build session takes (its options, the side effects passed in) and gives (a result per key), and the two
 * errors a rule may see from `need`.
 */
import type { Digest } from './digest.ts';
import type { EventSink, FailureInfo, Outcome } from './events.ts';
import type { FailureLedger } from './ledger.ts';
import type { Rule, Sources, TargetKey } from './rule.ts';
import type { BlockReason, StaleReason } from './stale.ts';

export interface BuildOptions {
  rules: Rule[];
  sources: Sources;
  ledger?: FailureLedger;
  /** How a thrown value becomes a failure (kind, transient or not, hint). Default: a terminal `bug`. */
  classify?: (err: unknown) => FailureInfo;
  /** Fail a rule that reads a store or config key it did not `need` (see reads.ts); on in tests. */
  checkReads?: boolean;
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
  /**
   * Targets the caller has proven up to date without asking their stores (a deps log: none of what decided them
   * last time has changed): each is reported up to date with this output digest and recorded inputs, and none of
   * its inputs is visited. Undefined for a key decides it as usual.
   */
  known?: (key: TargetKey) => { digest: Digest; inputs: TargetKey[] } | undefined;
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
  /** For a target found up to date or run: the inputs its record lists (what a deps log needs to know its dependents). */
  inputs?: TargetKey[];
}

export type Summary = Record<Outcome, number>;

/** Thrown inside a rule when an input it needs did not build; the target ends as skipped, not failed. */
export class InputFailedError extends Error {
  constructor(readonly input: TargetKey) {
    super(`input ${input} did not build`);
  }
}

/** A target that waits, directly or not, for itself. */
export class CycleError extends Error {
  constructor(readonly cycle: TargetKey[]) {
    super(`dependency cycle: ${cycle.join(' → ')}`);
  }
}
