/**
 * Asking the model about one table: the request, its answer checked against the schema and the naming rules,
 * one retry that says what was wrong, and the record of it all (a {@link Consultation}), which is kept so that the
 * same request is never sent again. Which answer is used is decided from that record alone ({@link usableAnswer}),
 * so a build that reads it later, without a key, decides the same.
 */
import { chat, LlmFailure, type ChatDeps } from './client.ts';
import { retryBody, type ChatBody, type TableRequest } from './prompt.ts';
import { checkAnswer, parseAnswer, SCHEMA_VERSION, type Answer } from './schema.ts';
import type { LlmSettings, Secret } from './settings.ts';
import { namingProblems, type Expected } from './validate.ts';

/** One answer of the model, as received, with what it cost and what was wrong with it. */
export interface Attempt {
  finish_reason: string;
  /** The answer, when it parsed as JSON; else `content`, the text as received. */
  answer?: unknown;
  content?: string;
  /** Empty when the answer was used. */
  problems: string[];
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  /** prompt and completion tokens at the configured prices, when prices are configured. */
  cost?: number;
}

/** What is kept of one request: `manifests/llm/<pub>/<request_sha256>.json`. */
export interface Consultation {
  schema_version: number;
  request_sha256: string;
  model: string;
  request: ChatBody;
  attempts: Attempt[];
  /** The server refused the request itself (400, 413, 422): it would refuse it again. */
  refused?: string;
}

const CUT_OFF = 'the answer was cut off before its end (finish_reason "length"); answer more briefly';

/**
 * Asks, checks, retries once. Throws an {@link LlmFailure} (`auth`, `unavailable`) when the model could not be
 * reached: then nothing is kept and a later build asks again.
 */
export async function consult(
  req: TableRequest,
  expected: Expected,
  settings: LlmSettings & { key: Secret },
  deps: ChatDeps,
  signal: AbortSignal,
): Promise<Consultation> {
  const record: Consultation = { schema_version: SCHEMA_VERSION, request_sha256: req.sha256, model: req.body.model, request: req.body, attempts: [] };
  let body = req.body;
  for (let round = 0; round < 2; round++) {
    let reply;
    try {
      reply = await chat(settings, body, deps, signal);
    } catch (err) {
      if (err instanceof LlmFailure && err.kind === 'refused') return { ...record, refused: err.message };
      throw err;
    }
    const parsed = reply.finishReason === 'length' ? { problems: [CUT_OFF] } : parseAnswer(reply.content);
    const problems = parsed.answer ? namingProblems(parsed.answer, expected) : parsed.problems;
    const cost = settings.prices ? (reply.usage.prompt * settings.prices.input + reply.usage.completion * settings.prices.output) / 1e6 : undefined;
    const value = 'value' in parsed ? parsed.value : undefined;
    record.attempts.push({
      finish_reason: reply.finishReason,
      ...(value !== undefined ? { answer: value } : { content: reply.content }),
      problems,
      prompt_tokens: reply.usage.prompt,
      completion_tokens: reply.usage.completion,
      latency_ms: reply.latencyMs,
      ...(cost !== undefined ? { cost: Math.round(cost * 1e8) / 1e8 } : {}),
    });
    if (!problems.length) break;
    body = retryBody(req.body, reply.content, problems);
  }
  return record;
}

/** The first answer of a kept consultation that holds under `expected` now; undefined: use the deterministic names. */
export function usableAnswer(c: Consultation, expected: Expected): Answer | undefined {
  for (const a of c.attempts) {
    if (a.finish_reason === 'length' || a.answer === undefined) continue;
    const { answer } = checkAnswer(a.answer);
    if (answer && namingProblems(answer, expected).length === 0) return answer;
  }
  return undefined;
}

/** Totals over kept consultations, for `status`. */
export interface LlmTotals {
  answers: number;
  /** Consultations with no usable answer (invalid twice, or refused). */
  unused: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Sum of the costs kept; `unpriced` answers had no prices configured when asked. */
  cost: number;
  unpriced: number;
}

export function addTotals(t: LlmTotals, c: Consultation): LlmTotals {
  const sum = (f: (a: Attempt) => number) => c.attempts.reduce((n, a) => n + f(a), 0);
  const used = c.attempts.some((a) => a.problems.length === 0);
  return {
    answers: t.answers + 1,
    unused: t.unused + (used ? 0 : 1),
    promptTokens: t.promptTokens + sum((a) => a.prompt_tokens),
    completionTokens: t.completionTokens + sum((a) => a.completion_tokens),
    latencyMs: t.latencyMs + sum((a) => a.latency_ms),
    cost: t.cost + sum((a) => a.cost ?? 0),
    unpriced: t.unpriced + (c.attempts.some((a) => a.cost === undefined) ? 1 : 0),
  };
}

export function sumTotals(a: LlmTotals, b: LlmTotals): LlmTotals {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof LlmTotals)[]) out[k] += b[k];
  return out;
}

export const noTotals = (): LlmTotals => ({ answers: 0, unused: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0, cost: 0, unpriced: 0 });
