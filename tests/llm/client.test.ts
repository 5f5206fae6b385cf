/**
 * The model client against a fake OpenAI-compatible server (real HTTP on 127.0.0.1): a good answer, JSON that
 * does not parse, an answer cut off, a slow answer, 429 with Retry-After, a refused key, a refused request, and a
 * model that invents or drops columns. Waits between attempts go through an injected sleep that records them.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPTS, consult, defaultChatDeps, LlmFailure, llmSettings, tableRequest, usableAnswer, type ChatDeps, type Expected, type TableForModel } from '../../lib/llm/index.ts';
import { goodAnswer, startFakeLlm, type FakeLlm } from '../rig/llm-server.ts';

const KEY = 'sk-test-0123456789abcdef-NEVER-PRINTED';
const table: TableForModel = {
  publication: 'oaps',
  file: 'oaps-open-data-oct-2016.csv',
  name: 'oaps_open_data',
  description: 'One row per question.',
  rows: 10,
  columns: ['Question', 'Breakdown1', 'value'].map((h, i) => ({ header: h, type: i === 2 ? 'numeric' : 'text', samples: ['a'], name: h.toLowerCase(), description: `${h}.` })),
};
const expected: Expected = { publication: 'oaps', columns: ['c1', 'c2', 'c3'], series: [], memberNames: [], takenTables: new Set(['oaps_other']) };

describe('the model client', () => {
  let fake: FakeLlm;
  let waits: number[];
  const deps = (): ChatDeps => ({ ...defaultChatDeps(), sleep: async (ms) => void waits.push(ms) });
  const settings = (extra: Record<string, string> = {}) => {
    const s = llmSettings({ NHS_PIPELINE_LLM_BASE_URL: fake.baseUrl, NHS_PIPELINE_LLM_MODEL: 'test-model', NHS_PIPELINE_LLM_API_KEY: KEY, ...extra });
    return s as typeof s & { key: NonNullable<typeof s.key> };
  };
  const ask = (extra?: Record<string, string>) => consult(tableRequest(table, 'test-model'), expected, settings(extra), deps(), new AbortController().signal);

  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterEach(() => {
    fake.requests.length = 0;
    fake.answer = (req) => ({ completion: goodAnswer(req.table) });
    waits = [];
  });
  afterAll(() => fake.close());

  it('a good answer: one request, with the schema, the key as a bearer token; tokens, latency and cost kept', async () => {
    const c = await ask({ NHS_PIPELINE_LLM_PRICE_INPUT: '0.15', NHS_PIPELINE_LLM_PRICE_OUTPUT: '0.6' });
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toMatchObject({ model: 'test-model', response_format: { type: 'json_schema', json_schema: { strict: true } } });
    expect(req.table.columns.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(c.attempts).toHaveLength(1);
    expect(c.attempts[0]).toMatchObject({ finish_reason: 'stop', problems: [], prompt_tokens: 1000, completion_tokens: 200, cost: (1000 * 0.15 + 200 * 0.6) / 1e6 });
    expect(c.attempts[0].latency_ms).toBeGreaterThanOrEqual(0);
    expect(usableAnswer(c, expected)?.table_name).toBe('oaps_m_open_data');
  });

  it('malformed JSON: one retry that says why, then the good answer is used', async () => {
    fake.answer = (req, n) => (n === 1 ? { completion: '{"table_name": "oaps_x", ' } : { completion: goodAnswer(req.table) });
    const c = await ask();
    expect(fake.requests).toHaveLength(2);
    expect(c.attempts[0].problems[0]).toMatch(/^the answer is not JSON/);
    const retry = fake.requests[1].body.messages;
    expect(retry.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(retry[3].content).toMatch(/That answer cannot be used: the answer is not JSON/);
    expect(usableAnswer(c, expected)?.table_name).toBe('oaps_m_open_data');
  });

  it('an answer cut off (finish_reason "length") twice: two requests, no answer used', async () => {
    fake.answer = (req) => ({ completion: JSON.stringify(goodAnswer(req.table)).slice(0, 40), finishReason: 'length' });
    const c = await ask();
    expect(fake.requests).toHaveLength(2);
    expect(c.attempts.map((a) => a.problems[0])).toEqual([expect.stringMatching(/cut off/), expect.stringMatching(/cut off/)]);
    expect(usableAnswer(c, expected)).toBeUndefined();
  });

  it('a slow answer: the client gives up on it and asks again', async () => {
    fake.answer = (req, n) => (n === 1 ? { hang: true } : { completion: goodAnswer(req.table) });
    const c = await ask({ NHS_PIPELINE_LLM_TIMEOUT: '2' });
    expect(fake.requests).toHaveLength(2);
    expect(usableAnswer(c, expected)).toBeDefined();
  });

  it('an answer that never comes: a failure to reach the model after every attempt (the caller falls back)', async () => {
    fake.answer = () => ({ hang: true });
    const err = await ask({ NHS_PIPELINE_LLM_TIMEOUT: '0.5' }).catch((e) => e);
    expect(err).toBeInstanceOf(LlmFailure);
    expect(err).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/no answer within 0\.5 s \(3 attempts\)/) });
    expect(fake.requests).toHaveLength(ATTEMPTS);
  });

  it('429: waits what Retry-After says, then asks again', async () => {
    fake.answer = (req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '7' } } : { completion: goodAnswer(req.table) });
    const c = await ask();
    expect(waits).toEqual([7000]);
    expect(fake.requests).toHaveLength(2);
    expect(usableAnswer(c, expected)).toBeDefined();
  });

  it('401: a clear failure at once, naming the variable and never the key, even when the server quotes it', async () => {
    fake.answer = () => ({ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }) });
    const err = await ask().catch((e) => e);
    expect(err).toBeInstanceOf(LlmFailure);
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/refused the API key \(401/);
    expect(err.hint).toMatch(/NHS_PIPELINE_LLM_API_KEY/);
    expect(`${err.message} ${err.hint} ${err.stack} ${inspect(err)}`).not.toContain('0123456789abcdef');
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused request (400) is kept as refused: asking again would be refused again', async () => {
    fake.answer = () => ({ status: 400, body: JSON.stringify({ error: { message: `response_format json_schema is not supported; key ${KEY}` } }) });
    const c = await ask();
    expect(c.refused).toMatch(/refused the request \(400\): response_format json_schema is not supported; key \[redacted\]/);
    expect(c.attempts).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('a server error (500) is tried again, with backoff', async () => {
    fake.answer = (req, n) => (n < 3 ? { status: 500 } : { completion: goodAnswer(req.table) });
    const c = await ask();
    expect(fake.requests).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
    expect(usableAnswer(c, expected)).toBeDefined();
  });

  it('a model that invents a column, then drops one: both answers refused, the deterministic names stay', async () => {
    fake.answer = (req, n) => {
      const a = goodAnswer(req.table);
      return { completion: n === 1 ? { ...a, columns: [...a.columns, { id: 'c9', name: 'made_up', description: 'Invented.' }] } : { ...a, columns: a.columns.slice(1) } };
    };
    const c = await ask();
    expect(fake.requests).toHaveLength(2);
    expect(c.attempts[0].problems).toContain('columns has ids that were not sent: c9');
    expect(c.attempts[1].problems).toContain('columns is missing c1');
    expect(fake.requests[1].body.messages[3].content).toContain('answer exactly these columns: c1, c2, c3');
    expect(usableAnswer(c, expected)).toBeUndefined();
  });

  it('the key is never in what the settings print or serialise', () => {
    const s = settings();
    for (const text of [JSON.stringify(s), String(s.key), inspect(s), `${s.key}`]) expect(text).not.toContain(KEY);
    expect(s.key.reveal()).toBe(KEY);
  });

  it('an Azure host gets the key as api-key, not as a bearer token', async () => {
    const seen: Record<string, string>[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      seen.push(init.headers as Record<string, string>);
      return new Response(JSON.stringify({ choices: [{ message: { content: JSON.stringify(goodAnswer({ publication: 'oaps', current_name: 'oaps_open_data', columns: [{ id: 'c1', header: 'Question', current_name: 'question' }, { id: 'c2', header: 'Breakdown1', current_name: 'breakdown1' }, { id: 'c3', header: 'value', current_name: 'value' }], series: [] })) }, finish_reason: 'stop' }] }));
    }) as typeof globalThis.fetch;
    const s = llmSettings({ NHS_PIPELINE_LLM_BASE_URL: 'https://example.openai.azure.com/openai/v1', NHS_PIPELINE_LLM_MODEL: 'my-deployment', NHS_PIPELINE_LLM_API_KEY: KEY });
    const c = await consult(tableRequest(table, 'my-deployment'), expected, s as typeof s & { key: NonNullable<typeof s.key> }, { ...defaultChatDeps(), fetch }, new AbortController().signal);
    expect(seen[0]['api-key']).toBe(KEY);
    expect(seen[0].authorization).toBeUndefined();
    expect(usableAnswer(c, expected)).toBeDefined();
  });
});
