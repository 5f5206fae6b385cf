/** What the engine tells reporters while it builds. */
import type { TargetKey } from './rule.ts';
import type { BlockReason, StaleReason } from './stale.ts';

/** How loud a target's log line is (see `target-log`). */
export type LogLevel = 'notice' | 'progress';

/** How one target ended. */
export type Outcome =
  | 'up-to-date' // nothing to do
  | 'ran' // rebuilt
  | 'would-run' // dry run: would be rebuilt
  | 'failed' // ran and threw
  | 'skipped' // not attempted: an earlier failure with unchanged inputs, or an input failed
  | 'cancelled'; // interrupted before or while running

/**
 * A failure as reported, from the `classify` function the build was given. `transient`: it says nothing
 * about the target's inputs (a server or database that could not be reached), so it is not kept in the
 * failure ledger and the next build tries again. `kind` names the failure for people and tools.
 */
export interface FailureInfo {
  kind: string;
  transient: boolean;
  message: string;
  hint?: string;
  location?: string;
}

export type BuildEvent =
  | { type: 'target-start'; key: TargetKey; reason: StaleReason }
  /**
   * A line from a running target. `notice`: said without -v (a wait, a retry). `progress`: how far a long step
   * is (bytes downloaded, rows loaded); each replaces the previous one, and reporters show the latest, not all.
   */
  | { type: 'target-log'; key: TargetKey; message: string; level?: LogLevel }
  | {
      type: 'target-end';
      key: TargetKey;
      outcome: Outcome;
      reason?: StaleReason | BlockReason;
      /** For `ran`: whether the output digest differs from the previous build (false = early cutoff). */
      changed?: boolean;
      ms?: number;
      summary?: string;
      stats?: Record<string, number>;
      error?: FailureInfo;
    };

export type EventSink = (event: BuildEvent) => void;
