/**
 * Failures that are cheap (issue 13): a host that does not resolve, a port that refuses connections and a port
 * fetch will not use fail at once, without retries, and are said once per host however many periods they serve;
 * and many periods downloading at once print no MaxListenersExceededWarning. Run as a real process, where Node
 * prints its warnings.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startCli } from './cli-rig.ts';

let ws: string | undefined;
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

it('an unresolvable host, a refused port and a bad port: no retries, one message per host, no listener warning', async () => {
  ws = await mkdtemp(join(tmpdir(), 'offline-'));
  await mkdir(join(ws, 'config'));
  const port = await closedPort();
  const months = Array.from({ length: 14 }, (_, i) => `${2020 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  const periods = (url: (m: string) => string, ms: string[]) => ms.map((m) => `      - period: ${m}\n        url: "${url(m)}"`).join('\n');
  await writeFile(
    join(ws, 'config/publications.yaml'),
    ['publications:',
      '  nowhere:', '    name: A host that does not resolve', '    periods:', periods((m) => `http://nhs-pipeline-offline.invalid/data-${m}.csv`, months),
      '  refused:', '    name: A port that refuses', '    periods:', periods((m) => `http://127.0.0.1:${port}/data-${m}.csv`, months.slice(0, 3)),
      '  badport:', '    name: A port fetch never uses', '    periods:', periods((m) => `http://127.0.0.1:6000/data-${m}.csv`, months.slice(0, 1)),
    ].join('\n') + '\n',
  );
  const run = startCli(['build', '-C', ws, ':download', '-j', '8'], {});
  expect(await run.code).toBe(1);
  const out = run.stdout();
  expect(count(out, /cannot reach nhs-pipeline-offline\.invalid: it (does not resolve|could not be resolved)/), out).toBe(1);
  expect(count(out, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: it refuses connections .*\\(ECONNREFUSED\\)`)), out).toBe(1);
  expect(count(out, /port 6000 is one fetch refuses to connect to/), out).toBe(1);
  // Every other period names the first that said it.
  expect(count(out, /✖ download nowhere\/\S+ failed: the same error as download nowhere\//)).toBe(months.length - 1);
  expect(count(out, /✖ download refused\/\S+ failed: the same error as download refused\//)).toBe(2);
  expect(out).not.toMatch(/trying again|attempts/);
  expect(out).toMatch(/built 0, up to date 0, failed 18/);
  expect(run.stderr()).not.toContain('Warning');
});

it('many periods retrying a failing server at once print no MaxListenersExceededWarning', async () => {
  // 503 on every request: each period retries (with short waits), all of them at the same time.
  const server = createHttpServer((_, res) => res.writeHead(503).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const busy = await mkdtemp(join(tmpdir(), 'listeners-'));
  try {
    await mkdir(join(busy, 'config'));
    const lines = Array.from({ length: 12 }, (_, i) => `      - period: 2020-${String(i + 1).padStart(2, '0')}\n        url: "http://127.0.0.1:${port}/f${i}.csv"`);
    const config = ['publications:', '  flaky:', '    name: A failing server', '    periods:', ...lines].join('\n') + '\n';
    await writeFile(join(busy, 'config/publications.yaml'), config);
    const run = startCli(['build', '-C', busy, ':download', '-j', '16'], { NHS_PIPELINE_HTTP_MAX_WAIT: '1' });
    expect(await run.code).toBe(1);
    expect(run.stdout()).toMatch(/HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/f\d+\.csv: trying again in 1 s \(attempt 2\)/);
    expect(run.stdout()).toMatch(/failed 12/);
    expect(run.stderr()).not.toContain('MaxListenersExceededWarning');
  } finally {
    server.close();
    await rm(busy, { recursive: true, force: true });
  }
});
