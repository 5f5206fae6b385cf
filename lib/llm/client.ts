/**
 * One OpenAI-compatible chat completion (`POST …/chat/completions`): OpenAI, Azure OpenAI (an `*.azure.com` host
 * gets the `api-key` header instead of `Authorization: Bearer`), Ollama, vLLM and llama.cpp's server.
 *
 * A request that times out, is cut off, is rate limited (429, after its Retry-After) or meets a server error (5xx)
 * is tried again, up to {@link ATTEMPTS} times in all. What is not worth another attempt throws an
 * {@link LlmFailure} at once: a refused key (`auth`), a refused request (`refused`: 400, 413, 422, the same
 * request would be refused again), anything else (`unavailable`). No message ever carries the key: a refused key's
 * answer is not quoted, and anything else a server says is redacted.
 */
import { backoffMs, defaultSleep, retryAfterMs } from '../web/limiter.ts';
import { ENV, type LlmSettings, type Secret } from './settings.ts';

/** Attempts per request, counting the first. */
export const ATTEMPTS = 3;

/** Side effects, injectable for tests. */
export interface ChatDeps {
  fetch: typeof fetch;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Wall-clock milliseconds (latency, and Retry-After dates). */
  clock: () => number;
}

export const defaultChatDeps = (): ChatDeps => ({ fetch: globalThis.fetch, sleep: defaultSleep, clock: () => Date.now() });

/** What the model said, and what it cost. */
export interface ChatReply {
  content: string;
  /** `stop`; `length` when the answer was cut off. */
  finishReason: string;
  usage: { prompt: number; completion: number };
  /** From sending the request to reading the whole answer, of the attempt that was answered. */
  latencyMs: number;
}

export type LlmFailureKind = 'auth' | 'refused' | 'unavailable';

/** The model could not answer: why, and what to do. Never a build failure: the caller falls back. */
export class LlmFailure extends Error {
  constructor(
    readonly kind: LlmFailureKind,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Worth another attempt (after `waitMs`, when the server said how long). */
class Retryable extends Error {
  constructor(
    readonly reason: string,
    readonly waitMs?: number,
  ) {
    super(reason);
  }
}

/** Sends `body` and returns the first choice's answer. */
export async function chat(settings: LlmSettings & { key: Secret }, body: unknown, deps: ChatDeps, signal: AbortSignal): Promise<ChatReply> {
  const where = new URL(settings.endpoint).host;
  let last = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await once(settings, JSON.stringify(body), deps, signal, where);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      last = err.reason;
      if (attempt < ATTEMPTS) await deps.sleep(err.waitMs ?? backoffMs(attempt), signal);
    }
  }
  throw new LlmFailure('unavailable', `${where}: ${last} (${ATTEMPTS} attempts)`, `the next build asks again; check ${ENV.baseUrl} and the server`);
}

async function once(settings: LlmSettings & { key: Secret }, body: string, deps: ChatDeps, signal: AbortSignal, where: string): Promise<ChatReply> {
  signal.throwIfAborted();
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), ctl.abort()), settings.timeoutMs);
  const onAbort = () => ctl.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const started = deps.clock();
  let res: Response;
  let text: string;
  try {
    res = await deps.fetch(settings.endpoint, { method: 'POST', headers: headers(settings), body, signal: ctl.signal });
    text = await res.text();
  } catch (err) {
    signal.throwIfAborted();
    if (timedOut) throw new Retryable(`no answer within ${settings.timeoutMs / 1000} s`);
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Retryable(`could not be reached (${settings.key.redact(String(cause))})`);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  const latencyMs = Math.max(0, Math.round(deps.clock() - started));
  if (res.status === 401 || res.status === 403) {
    // What a server says about a refused key may quote part of it: not repeated.
    throw new LlmFailure('auth', `${where} refused the API key (${res.status} ${res.statusText || 'Unauthorized'})`, `check ${ENV.key}, and that ${ENV.baseUrl} is the server it belongs to`);
  }
  const said = () => serverMessage(text, settings.key);
  if (res.status === 429) throw new Retryable('rate limited (429)', retryAfterMs(res.headers.get('retry-after'), new Date(deps.clock())));
  if (res.status === 408 || res.status >= 500) throw new Retryable(`server error ${res.status}${said() ? `: ${said()}` : ''}`);
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    throw new LlmFailure('refused', `${where} refused the request (${res.status}): ${said() || res.statusText}`, `the model may not accept JSON-schema answers (response_format) or a request this long; ${ENV.model} names the model`);
  }
  if (!res.ok) throw new LlmFailure('unavailable', `${where} answered ${res.status} ${res.statusText}${said() ? `: ${said()}` : ''}`, `check ${ENV.baseUrl} (the API root, such as …/v1) and ${ENV.model}`);
  return reply(text, latencyMs);
}

function headers(settings: LlmSettings & { key: Secret }): Record<string, string> {
  const azure = /\.azure\.com$/i.test(new URL(settings.endpoint).hostname);
  return {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(azure ? { 'api-key': settings.key.reveal() } : { authorization: `Bearer ${settings.key.reveal()}` }),
  };
}

function reply(text: string, latencyMs: number): ChatReply {
  let json: { choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Retryable('the server answered with something that is not JSON');
  }
  const choice = json?.choices?.[0];
  if (!choice) throw new Retryable('the server answered without a choice');
  const content = typeof choice.message?.content === 'string' ? choice.message.content : typeof choice.message?.refusal === 'string' ? choice.message.refusal : '';
  const tokens = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
  return {
    content,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'unknown',
    usage: { prompt: tokens(json.usage?.prompt_tokens), completion: tokens(json.usage?.completion_tokens) },
    latencyMs,
  };
}

/** The error text of an OpenAI-style error body (`{"error":{"message":…}}`), else the body, short and redacted. */
function serverMessage(text: string, key: Secret): string {
  let message = text;
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof json.error === 'string' ? json.error : json.error?.message ?? json.message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: the text itself
  }
  const flat = key.redact(message).replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
