/**
 * The failure ledger: per target, the error of its last failed attempt, when, how many attempts, and the
 * inputs it had. A failed target is retried only when those inputs change or with `--retry-failed` (a 404
 * for an unpublished month should not be hammered daily). Transient failures (a server or a database that
 * could not be reached) are not kept: the next build tries again. Where the ledger lives is the caller's
 * business; the engine only reads and writes records through this interface.
 */
import type { Digest } from './digest.ts';
import type { TargetKey } from './rule.ts';

export interface FailureRecord {
  target: TargetKey;
  rule: string;
  version: string;
  error: string;
  hint?: string;
  /** What kind of failure it was (`input`, `bug`, ...). */
  kind?: string;
  /** ISO time of the last failed attempt. */
  at: string;
  attempts: number;
  /** Inputs resolved before the failure (a prefix of what a success would have needed). */
  inputs: Record<TargetKey, Digest>;
}

export interface FailureLedger {
  read(key: TargetKey): Promise<FailureRecord | undefined>;
  write(record: FailureRecord): Promise<void>;
  /** Clears the failure and the last transient attempt. */
  clear(key: TargetKey): Promise<void>;
  /**
   * A transient failure (a server or database that could not be reached): kept as a note for `status`, never
   * read by the build, which tries again next time as ever. Optional: a ledger may forget these.
   */
  attempted?(record: FailureRecord): Promise<void>;
}
