/**
 * The fault matrix through a real build: one publication per fault, each period URL on the fault-injecting
 * server, built to the download stage. What the user sees for each (the message), whether it is kept in
 * the failure ledger (manifests/failures/download/…) or tried again by the next build, and the notices a
 * waiting build prints without -v. Time limits are shortened and waits between attempts recorded, not
 * slept (tests/web/faults.test.ts has the same faults one request at a time).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebDeps } from '../../lib/web/index.ts';
import { closedPort, fault } from '../rig/faults.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { SAMPLES } from '../web/helpers.ts';
import { runCli, type CliRun } from './cli-rig.ts';

/** Each fault: what the server does, and what the user gets; `recorded`: kept in the failure ledger. */
interface Case { route: (s: TestServer) => Promise<void>; message?: string | RegExp; recorded?: boolean; path?: string }

let ws: string;
let server: TestServer;
let first: CliRun;
// Silence is given up after 1 s, not 30 s: long enough that a busy machine's pauses are not mistaken for one.
const web: WebDeps = { sleep: async () => undefined, timeouts: { idleTimeoutMs: 1000, timeoutMs: 10_000, noticeMs: 100 } };
const csv = () => readFile(SAMPLES.pcnMar2020.path);

const CASES: Record<string, Case> = {
  f404: { route: async (s) => s.set('/f404.csv', fault.status(404)), message: 'HTTP 404 Not Found for', recorded: true },
  f410: { route: async (s) => s.set('/f410.csv', fault.status(410)), message: 'HTTP 410 Gone for', recorded: true },
  f429: { route: async (s) => s.set('/f429.csv', fault.tooManyRequests(3600)), message: 'the server asks to wait 60 min before trying again', recorded: false },
  f500_then_ok: { route: async (s) => s.set('/f500_then_ok.csv', [fault.status(500), { body: await csv() }]) },
  reset: { route: async (s) => s.set('/reset.csv', fault.resetMidBody(await csv(), 5000)), message: /connection lost mid-download: .+\) after 4 attempts/, recorded: false },
  short: { route: async (s) => s.set('/short.csv', fault.shortBody(await csv(), 1000)), message: /connection lost mid-download: .+\) after 4 attempts/, recorded: false },
  stall_headers: { route: async (s) => s.set('/stall_headers.csv', fault.stallAfterHeaders(await csv(), 100)), message: 'the server stopped sending: nothing for 1 s after 100 bytes', recorded: false },
  stall_before: { route: async (s) => s.set('/stall_before.csv', fault.stallBeforeHeaders()), message: 'no response from the server within 1 s', recorded: false },
  trickle: { route: async (s) => s.set('/trickle.csv', fault.trickle((await csv()).subarray(0, 2000), 200, 50)) },
  redirect_loop: { route: async (s) => (s.set('/redirect_loop.csv', fault.redirect('/loop2.csv')), s.set('/loop2.csv', fault.redirect('/redirect_loop.csv'))), message: 'redirects in a loop', recorded: true },
  redirect_scheme: { route: async (s) => s.set('/redirect_scheme.csv', fault.redirect('file:///etc/passwd')), message: 'redirects to file:///etc/passwd: only http(s) redirects are followed', recorded: true },
  redirect_closed: { route: async (s) => s.set('/redirect_closed.csv', fault.redirect(`http://127.0.0.1:${await closedPort()}/x.csv`)), message: 'which refuses the connection (ECONNREFUSED)', recorded: false },
  not_gzip: { route: async (s) => s.set('/not_gzip.csv', fault.notGzip(await csv())), message: 'declared Content-Encoding: gzip but sent a body that does not decode as gzip', recorded: false },
  html: { route: async (s) => s.set('/html.csv', fault.html()), message: 'the server returned an HTML page instead of a spreadsheet', recorded: true },
  etag: { route: async (s) => s.serveFile('/etag.csv', join(ws, 'served.csv')) },
  // A remote page linking this machine's files (issue 14, hole 1): the link is ignored and said to be.
  page_file: { path: '/page_file/', route: async (s) => s.set('/page_file/', { headers: { 'content-type': 'text/html' }, body: `<html><a href="${pathToFileURL(join(ws, 'secret.csv')).href}">x</a><a href="/etag.csv">y</a></html>` }) },
};

const ledger = (pub: string) => join(ws, 'manifests/failures/download', pub, '2020-01.json');
const exists = (p: string) => stat(p).then(() => true, () => false);
const end = (run: CliRun, pub: string) => run.events.find((e) => e.event === 'target-end' && e.key === `download:${pub}/2020-01`) as { outcome: string; error?: { message: string; transient: boolean }; reason?: { kind: string } } | undefined;
const notices = (run: CliRun, pub: string) => run.events.filter((e) => e.event === 'target-log' && e.key === `download:${pub}/2020-01` && e.level === 'notice').map((e) => String(e.message));
const targets = () => Object.keys(CASES).map((p) => `${p}:download`);

beforeAll(async () => {
  server = await startTestServer();
  ws = await mkdtemp(join(tmpdir(), 'nhs-faults-'));
  await mkdir(join(ws, 'config'));
  await copyFile(SAMPLES.pcnMar2020.path, join(ws, 'served.csv'));
  await writeFile(join(ws, 'secret.csv'), 'secret\n1\n');
  const lines = ['publications:'];
  for (const [pub, c] of Object.entries(CASES)) {
    await c.route(server);
    lines.push(`  ${pub}:`, `    name: ${pub}`, '    periods:', '      - period: 2020-01', `        url: ${server.url}${c.path ?? `/${pub}.csv`}`);
  }
  await writeFile(join(ws, 'config/publications.yaml'), `${lines.join('\n')}\n`);
  first = await runCli(['build', '-C', ws, '--json', '-j', '16', ...targets()], {}, undefined, undefined, web);
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
});

describe('each fault through a build: its message, and whether the failure ledger keeps it', () => {
  for (const [pub, c] of Object.entries(CASES)) {
    if (c.message === undefined) continue;
    it(`${pub}: ${c.recorded ? 'kept' : 'not kept, tried again next build'}`, async () => {
      const e = end(first, pub);
      expect(e?.outcome).toBe('failed');
      if (typeof c.message === 'string') expect(e?.error?.message).toContain(c.message);
      else expect(e?.error?.message).toMatch(c.message!);
      expect(e?.error?.transient).toBe(!c.recorded);
      expect(await exists(ledger(pub))).toBe(c.recorded);
    });
  }

  it('succeeds where the server recovers or is only slow, and leaves no partial download anywhere', async () => {
    for (const pub of ['f500_then_ok', 'trickle', 'etag', 'page_file']) expect(end(first, pub)?.outcome).toBe('ran');
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(ws, 'downloads'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('says what it waits for without -v: retries, silent servers, ignored links', async () => {
    // Which other notices a slow moment adds (a wait, progress) depends on the machine: only these are certain.
    expect(notices(first, 'f500_then_ok')).toContain(`HTTP 500 Internal Server Error from ${server.url}/f500_then_ok.csv: trying again in 1 s (attempt 2)`);
    expect(notices(first, 'stall_before').some((n) => n.startsWith(`waiting for ${server.url}/stall_before.csv to answer: `))).toBe(true);
    expect(notices(first, 'page_file')).toContainEqual(expect.stringMatching(/^ignored 1 link of the remote page that leave http\(s\), which a remote page may not follow: file:\/\/\/.*secret\.csv$/));
    // The plain reporter prints notices too (only with -v before).
    await CASES.f500_then_ok!.route(server);
    const plain = await runCli(['build', '-C', ws, '--refresh', 'f500_then_ok:download'], {}, undefined, undefined, web);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d   download f500_then_ok/2020-01: HTTP 500 Internal Server Error from ${server.url}/f500_then_ok.csv: trying again in 1 s \\(attempt 2\\)\\n`));
  });

  it('the next build skips what was kept and asks again for the rest; a changed file on the server comes in with --refresh', async () => {
    const again = await runCli(['build', '-C', ws, '--json', '-j', '16', ...targets()], {}, undefined, undefined, web);
    for (const [pub, c] of Object.entries(CASES)) {
      if (c.message === undefined) expect(end(again, pub)?.outcome).toBe('up-to-date');
      else if (c.recorded) expect(end(again, pub)).toMatchObject({ outcome: 'skipped', reason: { kind: 'previous-failure' } });
      else expect(end(again, pub)?.outcome).toBe('failed');
    }
    const before = await readFile(join(ws, 'manifests/download/etag/2020-01.yaml'), 'utf8');
    await copyFile(SAMPLES.promsCsv.path, join(ws, 'served.csv'));
    const refreshed = await runCli(['build', '-C', ws, '--json', '--refresh', 'etag:download'], {}, undefined, undefined, web);
    expect(end(refreshed, 'etag')?.outcome).toBe('ran');
    const after = await readFile(join(ws, 'manifests/download/etag/2020-01.yaml'), 'utf8');
    expect(after).not.toBe(before);
    expect(after).toContain(SAMPLES.promsCsv.sha256);
    expect(server.requests.filter((r) => r.path === '/etag.csv').at(-1)?.headers['if-none-match']).toBeDefined();
  });
});
