/**
 * The model for one open workspace: its settings, the client's side effects, each request sent at most once (two
 * targets asking the same thing share one answer), and, after the first failure to reach it, no more asking until
 * the workspace is opened again: one warning, not one per table, and no waiting on a server that is down.
 */
import { defaultChatDeps, LlmFailure, type ChatDeps } from './client.ts';
import { consult, type Consultation } from './consult.ts';
import type { TableRequest } from './prompt.ts';
import { canAsk, type LlmSettings } from './settings.ts';
import type { Expected } from './validate.ts';

export class LlmSession {
  readonly #inFlight = new Map<string, Promise<Consultation>>();
  #down: LlmFailure | undefined;
  #warned = false;

  constructor(
    readonly settings: LlmSettings | undefined,
    private readonly deps: ChatDeps = defaultChatDeps(),
  ) {}

  /** The model new questions go to; undefined when none is named. */
  get model(): string | undefined {
    return this.settings?.model;
  }

  /** Whether new questions may be sent: a model and a key. */
  get asks(): boolean {
    return canAsk(this.settings);
  }

  /** Asks about one table (at most once per request); throws the {@link LlmFailure} that stopped asking. */
  consult(req: TableRequest, expected: Expected, signal: AbortSignal): Promise<Consultation> {
    const settings = this.settings;
    if (!canAsk(settings)) return Promise.reject(new LlmFailure('unavailable', 'no model or key is set', ''));
    if (this.#down) return Promise.reject(this.#down);
    let p = this.#inFlight.get(req.sha256);
    if (!p) {
      p = consult(req, expected, settings, this.deps, signal).catch((err) => {
        this.#inFlight.delete(req.sha256);
        if (err instanceof LlmFailure) this.#down ??= err;
        throw err;
      });
      this.#inFlight.set(req.sha256, p);
    }
    return p;
  }

  /** What to tell the user about a failure, and whether this is the first time (then say all of it, once). */
  warning(err: LlmFailure): { text: string; first: boolean } {
    const first = !this.#warned;
    this.#warned = true;
    return { text: `the model could not be asked: ${err.message}${err.hint ? `; ${err.hint}` : ''}; deterministic names used, the next build asks again`, first };
  }
}
