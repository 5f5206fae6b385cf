/**
 * A fake OpenAI-compatible server on 127.0.0.1 (`POST /v1/chat/completions`), for tests: each request is logged
 * (body and headers) and answered by the test's `answer` function, which may send a completion, an error status
 * (with headers such as Retry-After), bytes that are not JSON, or nothing at all until the client gives up.
 * `goodAnswer` plays a model that follows every rule, built from what the request shows it.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown };
  headers: IncomingHttpHeaders;
  /** The table the request shows (the user message, parsed). */
  table: ShownTable;
}

export interface ShownTable {
  publication: string;
  current_name: string;
  columns: { id: string; header: string; current_name: string }[];
  series: { id: string; count: number; headers: string[] }[];
}

/** How to answer one request. */
export type Reply =
  | { completion: unknown; finishReason?: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; body?: string; headers?: Record<string, string> }
  | { raw: string }
  | { hang: true };

export interface FakeLlm {
  /** The API root to give as NHS_PIPELINE_LLM_BASE_URL (`http://127.0.0.1:PORT/v1`). */
  baseUrl: string;
  requests: SeenRequest[];
  /** Decides each reply; `n` counts requests from 1. Default: {@link goodAnswer}. */
  answer: (req: SeenRequest, n: number) => Reply;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const hanging = new Set<ServerResponse>();
  const fake: FakeLlm = {
    baseUrl: '',
    requests: [],
    answer: (req) => ({ completion: goodAnswer(req.table) }),
    close: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end('{"error":{"message":"not found"}}');
        return;
      }
      const body = JSON.parse(text) as SeenRequest['body'];
      const seen = { body, headers: req.headers, table: JSON.parse(body.messages.find((m) => m.role === 'user')!.content) as ShownTable };
      fake.requests.push(seen);
      send(res, fake.answer(seen, fake.requests.length), hanging);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function send(res: ServerResponse, reply: Reply, hanging: Set<ServerResponse>): void {
  if ('hang' in reply) {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return;
  }
  if ('raw' in reply) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(reply.raw);
    return;
  }
  if ('status' in reply) {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? `{"error":{"message":"status ${reply.status}"}}`);
    return;
  }
  const content = typeof reply.completion === 'string' ? reply.completion : JSON.stringify(reply.completion);
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: reply.finishReason ?? 'stop' }],
      usage: reply.usage ?? { prompt_tokens: 1000, completion_tokens: 200 },
    }),
  );
}

/** A model that follows every rule: `<pub>_m_<rest of the current name>`, columns `m_<current name>`. */
export function goodAnswer(t: ShownTable) {
  const fit = (s: string) => s.slice(0, 63).replace(/_+$/, '');
  return {
    table_name: fit(`${t.publication}_m_${t.current_name.slice(t.publication.length + 1)}`),
    description: `What ${t.current_name} holds, in the model's words`,
    grain: 'One row per thing counted',
    columns: t.columns.map((c) => ({ id: c.id, name: fit(`m_${c.current_name}`), description: `The model on ${c.header}` })),
    series: t.series.map((f) => ({ id: f.id, description: `One of ${f.count} numbered columns` })),
  };
}
