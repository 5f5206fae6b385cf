/**
 * Failures as values: one union keyed by `kind`, each transient (the next build tries again by itself) or
 * terminal (kept in the failure ledger until its inputs change or `--retry-failed`), with what to do and where.
 *
 * | kind          | what failed                                               | default    |
 * |---------------|-----------------------------------------------------------|------------|
 * | `input`       | the data or the config it came from (404, bad cell, …)    | terminal   |
 * | `environment` | the world around it (network, server, database, disk)     | transient  |
 * | `usage`       | how the command was called (unknown target, bad option)   | terminal   |
 * | `cancelled`   | Ctrl-C or a signal                                        | transient  |
 * | `bug`         | anything else: an exception nobody expected               | terminal   |
 *
 * Every error a user can cause is a {@link PipelineError}; anything else thrown is a `bug`.
 */

export type FailureKind = 'input' | 'environment' | 'usage' | 'cancelled' | 'bug';

export interface Failure {
  kind: FailureKind;
  /** True: says nothing about the inputs, so it is not remembered and the next build tries again. */
  transient: boolean;
  /** What happened, without the hint. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Where: `file:line:col`, a URL, `file.xlsx, sheet "Table 1", cell D12`. */
  location?: string;
}

const TRANSIENT: Record<FailureKind, boolean> = { input: false, environment: true, usage: false, cancelled: true, bug: false };

/** The base of every error a user can cause or act on: it carries its {@link Failure}. */
export class PipelineError extends Error {
  readonly failure: Failure;
  /** `text`: the Error's own message when it differs from `message` (some errors have always included their hint). */
  constructor(init: { kind: FailureKind; message: string; hint?: string; location?: string; transient?: boolean; cause?: unknown; text?: string }) {
    super(init.text ?? init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.failure = {
      kind: init.kind,
      transient: init.transient ?? TRANSIENT[init.kind],
      message: init.message,
      ...(init.hint ? { hint: init.hint } : {}),
      ...(init.location ? { location: init.location } : {}),
    };
  }

  get hint(): string | undefined {
    return this.failure.hint;
  }
}

/** Any thrown value as a failure: a {@link PipelineError} says what it is; an abort is `cancelled`; the rest is a `bug`. */
export function toFailure(err: unknown): Failure {
  if (err instanceof PipelineError) return err.failure;
  if (err instanceof Error && err.name === 'AbortError') return { kind: 'cancelled', transient: true, message: err.message };
  if (err instanceof Error) return { kind: 'bug', transient: false, message: err.message || err.name };
  return { kind: 'bug', transient: false, message: String(err) };
}
