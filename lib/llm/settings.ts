/**
 * The language model's settings, from the environment (read in cli/, passed in):
 *
 * | variable                        | meaning                                                                  |
 * |---------------------------------|--------------------------------------------------------------------------|
 * | `NHS_PIPELINE_LLM_MODEL`        | the model (Azure: the deployment) to ask; also which stored answers to use |
 * | `NHS_PIPELINE_LLM_API_KEY`      | the key; with the model, turns asking on (any value for Ollama, vLLM, llama.cpp) |
 * | `NHS_PIPELINE_LLM_BASE_URL`     | the OpenAI-compatible API root (default `https://api.openai.com/v1`)     |
 * | `NHS_PIPELINE_LLM_TIMEOUT`      | seconds one request may take (default 120)                               |
 * | `NHS_PIPELINE_LLM_PRICE_INPUT`  | price of a million prompt tokens (e.g. USD); with the next, cost is kept |
 * | `NHS_PIPELINE_LLM_PRICE_OUTPUT` | price of a million completion tokens                                     |
 *
 * The key is held in a {@link Secret}: it prints, logs and serialises as `[redacted]`.
 */
import { inspect } from 'node:util';
import { PipelineError } from '../failure.ts';

export const ENV = {
  model: 'NHS_PIPELINE_LLM_MODEL',
  key: 'NHS_PIPELINE_LLM_API_KEY',
  baseUrl: 'NHS_PIPELINE_LLM_BASE_URL',
  timeout: 'NHS_PIPELINE_LLM_TIMEOUT',
  priceInput: 'NHS_PIPELINE_LLM_PRICE_INPUT',
  priceOutput: 'NHS_PIPELINE_LLM_PRICE_OUTPUT',
} as const;

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_TIMEOUT_S = 120;

/** A value that must never be printed: every way of turning it into text gives `[redacted]`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value itself, for the one header that carries it. */
  reveal(): string {
    return this.#value;
  }
  /** `text` with every occurrence of the value replaced (for what a server says back). */
  redact(text: string): string {
    return this.#value ? text.split(this.#value).join('[redacted]') : text;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface LlmSettings {
  /** The chat-completions URL, from the base URL (its query, such as Azure's `api-version`, kept). */
  endpoint: string;
  /** Undefined: no model named; stored answers are then found through the model each manifest records. */
  model?: string;
  /** Undefined: nothing is asked. */
  key?: Secret;
  timeoutMs: number;
  /** Per million tokens, when both are set. */
  prices?: { input: number; output: number };
}

/** Whether new questions may be sent: a model and a key. */
export const canAsk = (s: LlmSettings | undefined): s is LlmSettings & { model: string; key: Secret } => Boolean(s?.model && s.key);

/** Reads the settings; a value that cannot be right is a usage error naming the variable and what to do. */
export function llmSettings(env: Record<string, string | undefined>): LlmSettings {
  const get = (name: string) => env[name]?.trim() || undefined;
  const model = get(ENV.model);
  const key = get(ENV.key);
  if (key && !model) {
    throw usage(`${ENV.key} is set but ${ENV.model} is not`, `set ${ENV.model} to the model to ask (an Azure deployment name, an Ollama model such as llama3.1), or unset ${ENV.key} to build without the model`);
  }
  const prices = pricesFrom(get(ENV.priceInput), get(ENV.priceOutput));
  return {
    endpoint: endpointOf(get(ENV.baseUrl) ?? DEFAULT_BASE_URL),
    ...(model ? { model } : {}),
    ...(key ? { key: new Secret(key) } : {}),
    timeoutMs: seconds(ENV.timeout, get(ENV.timeout) ?? String(DEFAULT_TIMEOUT_S)) * 1000,
    ...(prices ? { prices } : {}),
  };
}

/** What of the settings decides a build (for the no-op proof): never the key, only whether there is one. */
export function settingsIdentity(s: LlmSettings | undefined): string {
  return s ? JSON.stringify({ model: s.model ?? null, asks: canAsk(s) }) : 'off';
}

/** `…/v1` → `…/v1/chat/completions`; a URL already ending so is kept; its query string stays at the end. */
function endpointOf(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw usage(`${ENV.baseUrl} "${base.slice(0, 80)}" is not a URL`, `give the API root, such as ${DEFAULT_BASE_URL}, http://localhost:11434/v1 (Ollama) or https://<resource>.openai.azure.com/openai/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`${ENV.baseUrl} must be an http(s) URL, not ${url.protocol}`, `give the API root, such as ${DEFAULT_BASE_URL}`);
  if (url.username || url.password) throw usage(`${ENV.baseUrl} must not carry credentials`, `put the key in ${ENV.key}`);
  if (!/\/chat\/completions\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url.toString();
}

function seconds(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${name} "${text}" is not a number of seconds`, `give a positive number, such as ${DEFAULT_TIMEOUT_S}`);
  return n;
}

function pricesFrom(input: string | undefined, output: string | undefined): LlmSettings['prices'] {
  if (input === undefined && output === undefined) return undefined;
  if (input === undefined || output === undefined) {
    throw usage(`${input === undefined ? ENV.priceOutput : ENV.priceInput} is set without ${input === undefined ? ENV.priceInput : ENV.priceOutput}`, 'set both prices (per million prompt and completion tokens), or neither');
  }
  const price = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw usage(`${name} "${text}" is not a price`, 'give the price of a million tokens as a plain number, such as 0.15');
    return n;
  };
  return { input: price(ENV.priceInput, input), output: price(ENV.priceOutput, output) };
}

const usage = (message: string, hint: string) => new PipelineError({ kind: 'usage', message, hint });
