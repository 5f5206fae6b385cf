/**
 * The fault matrix (issue 14): every way a server has been seen to fail, served for real by the test
 * server, each with the message the user gets and whether the failure is kept in the failure ledger
 * (`transient: false`) or tried again by the next build (`transient: true`). Time limits are shortened
 * (a stall is given up after 300 ms, not 30 s) and waits between attempts are recorded, not slept, so the
 * whole matrix takes about a second. Nothing partial is ever left in downloads/.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadError, fetchToStore, type FetchOptions, type FetchResult } from '../../lib/web/index.ts';
import { closedPort, fault } from '../rig/faults.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

const t = withServerAndWorkspace();

/** Short limits: what takes 30 s against a real site takes a fraction of a second here. */
const FAST = { idleTimeoutMs: 1000, timeoutMs: 5000, noticeMs: 50, retries: 2 } satisfies Partial<FetchOptions>;

async function get(path: string, extra: Partial<FetchOptions> = {}): Promise<{ result?: FetchResult; err?: DownloadError; notices: string[]; sleeps: number[] }> {
  const deps = testDeps();
  const notices: string[] = [];
  try {
    const result = await fetchToStore(t.server.url + path, { store: t.ws.store, baseDir: t.ws.root, deps, onNotice: (m) => notices.push(m), ...FAST, ...extra });
    return { result, notices, sleeps: deps.sleeps };
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    return { err: e, notices, sleeps: deps.sleeps };
  }
}

/** After any failure: no temp file, no blob, no index entry. */
async function nothingStored(): Promise<void> {
  expect(await listFiles(t.ws.downloads)).toEqual([]);
}

const csv = () => readFile(SAMPLES.pcnMar2020.path);

describe('answers that say the file is not there: kept in the ledger, not retried', () => {
  it.each([404, 410])('%i', async (status) => {
    t.server.set('/x.csv', fault.status(status));
    const { err } = await get('/x.csv');
    expect(err?.message).toContain(`HTTP ${status} ${status === 404 ? 'Not Found' : 'Gone'} for ${t.server.url}/x.csv — the period may not be published yet`);
    expect(err?.failure.transient).toBe(false);
    expect(t.server.requests).toHaveLength(1);
    await nothingStored();
  });

  it('an HTML page served for a spreadsheet', async () => {
    t.server.set('/x.xlsx', fault.html());
    const { err } = await get('/x.xlsx');
    expect(err?.message).toContain('the server returned an HTML page instead of a spreadsheet');
    expect(err?.failure.transient).toBe(false);
    await nothingStored();
  });
});

describe('a server that is busy or failing: retried, then left to the next build', () => {
  it('429 with Retry-After: 3600 is not waited for (no silent hour): fails at once, transient', async () => {
    t.server.set('/x.csv', fault.tooManyRequests(3600));
    const { err, sleeps } = await get('/x.csv');
    expect(err?.message).toContain(`HTTP 429 Too Many Requests for ${t.server.url}/x.csv: the server asks to wait 60 min before trying again, longer than a build waits (60 s)`);
    expect(err?.failure.transient).toBe(true);
    expect(sleeps).toEqual([]);
    expect(t.server.requests).toHaveLength(1);
  });

  it('500 then OK succeeds on the second attempt', async () => {
    const body = await csv();
    t.server.set('/x.csv', [fault.status(500), { body }]);
    const retries: string[] = [];
    const { result, sleeps } = await get('/x.csv', { onRetry: (r) => retries.push(`${r.attempt}: ${r.reason}`) });
    expect(result?.entry.sha256).toBe(SAMPLES.pcnMar2020.sha256);
    expect(retries).toEqual(['1: HTTP 500 Internal Server Error']);
    expect(sleeps).toEqual([1000]);
  });

  it('a connection reset mid-body', async () => {
    t.server.set('/x.csv', fault.resetMidBody(await csv(), 5000));
    const { err } = await get('/x.csv');
    expect(err?.message).toMatch(new RegExp(`^Download of ${t.server.url}/x\\.csv failed \\(connection lost mid-download: .+\\) after 2 attempts`));
    expect(err?.failure.transient).toBe(true);
    expect(t.server.requests).toHaveLength(2);
    await nothingStored();
  });

  it('a body shorter than its Content-Length, closed cleanly', async () => {
    t.server.set('/x.csv', fault.shortBody(await csv(), 1000));
    const { err } = await get('/x.csv');
    expect(err?.message).toMatch(/failed \(connection lost mid-download: .+\) after 2 attempts/);
    expect(err?.failure.transient).toBe(true);
    await nothingStored();
  });
});

describe('a server that goes quiet: given up after the idle limit, saying what it waits for meanwhile', () => {
  it('stall before headers', async () => {
    t.server.set('/x.csv', fault.stallBeforeHeaders());
    const { err, notices } = await get('/x.csv', { idleTimeoutMs: 300, noticeMs: 100 });
    expect(err?.message).toContain(`Download of ${t.server.url}/x.csv failed (no response from the server within 300 ms) after 2 attempts`);
    expect(err?.failure.transient).toBe(true);
    expect(notices[0]).toMatch(new RegExp(`^waiting for ${t.server.url}/x\\.csv to answer: \\d+ ms so far \\(gives up after 300 ms of silence\\)$`));
  });

  it('stall after headers and part of the body', async () => {
    t.server.set('/x.csv', fault.stallAfterHeaders(await csv(), 100));
    const { err, notices } = await get('/x.csv', { idleTimeoutMs: 300, noticeMs: 100 });
    expect(err?.message).toContain(`failed (the server stopped sending: nothing for 300 ms after 100 bytes) after 2 attempts`);
    expect(err?.failure.transient).toBe(true);
    expect(notices.some((n) => n.startsWith(`waiting for ${t.server.url}/x.csv: 100 bytes of `))).toBe(true);
    await nothingStored();
  });

  it('a slow trickle completes while bytes keep coming, and reports its progress', async () => {
    const body = (await csv()).subarray(0, 600);
    t.server.set('/x.csv', fault.trickle(body, 100, 40));
    const { result, notices } = await get('/x.csv', { noticeMs: 100 });
    expect(result?.entry.size).toBe(600);
    expect(notices.some((n) => n.startsWith(`downloading ${t.server.url}/x.csv: `))).toBe(true);
  });

  it('a trickle slower than the attempt limit is given up', async () => {
    t.server.set('/x.csv', fault.trickle(await csv(), 10, 20));
    const { err } = await get('/x.csv', { timeoutMs: 300, retries: 1 });
    expect(err?.message).toMatch(/failed \(the download took longer than 300 ms, the limit for one attempt \(\d+ bytes received\)\)/);
    expect(err?.failure.transient).toBe(true);
    await nothingStored();
  });
});

describe('redirects and encodings: each its own message, none blamed on the network', () => {
  it('a redirect loop is the site\'s error: not retried, kept', async () => {
    t.server.set('/a.csv', fault.redirect('/b.csv'));
    t.server.set('/b.csv', fault.redirect('/a.csv', 301));
    const { err } = await get('/a.csv');
    expect(err?.message).toContain(`${t.server.url}/a.csv redirects in a loop: ${t.server.url}/a.csv → ${t.server.url}/b.csv → ${t.server.url}/a.csv`);
    expect(err?.kind).toBe('redirect');
    expect(err?.failure.transient).toBe(false);
    expect(t.server.requests).toHaveLength(2);
  });

  it.each(['file:///etc/passwd', 'ftp://example.org/x.csv'])('a redirect to another scheme (%s) is refused: not retried, kept', async (to) => {
    t.server.set('/x.csv', fault.redirect(to));
    const { err } = await get('/x.csv');
    expect(err?.message).toContain(`${t.server.url}/x.csv redirects to ${to}: only http(s) redirects are followed`);
    expect(err?.failure.transient).toBe(false);
    expect(t.server.requests).toHaveLength(1);
  });

  it('a redirect to a closed port: not retried now, tried again next build', async () => {
    const port = await closedPort();
    t.server.set('/x.csv', fault.redirect(`http://127.0.0.1:${port}/x.csv`));
    const { err } = await get('/x.csv');
    expect(err?.message).toContain(`${t.server.url}/x.csv redirects to http://127.0.0.1:${port}/x.csv, which refuses the connection (ECONNREFUSED)`);
    expect(err?.message).not.toContain('check the network connection');
    expect(err?.failure.transient).toBe(true);
    expect(t.server.requests).toHaveLength(1);
  });

  it('"gzip" that is not gzip: the server\'s damaged data, not retried now, not kept', async () => {
    t.server.set('/x.csv', fault.notGzip(await csv()));
    const { err } = await get('/x.csv');
    expect(err?.message).toContain(`${t.server.url}/x.csv: the server declared Content-Encoding: gzip but sent a body that does not decode as gzip (incorrect header check)`);
    expect(err?.kind).toBe('bad-encoding');
    expect(err?.failure.transient).toBe(true);
    expect(t.server.requests).toHaveLength(1);
    await nothingStored();
  });
});

describe('a file changed on the server', () => {
  it('a refresh sends the old ETag; a new ETag brings the new bytes, the same one a 304', async () => {
    const served = join(t.ws.root, 'served.csv');
    await copyFile(SAMPLES.pcnMar2020.path, served);
    t.server.serveFile('/x.csv', served);
    const first = await get('/x.csv');
    const etag = first.result!.entry.etag!;
    expect((await get('/x.csv', { refresh: true })).result).toMatchObject({ fetched: false, notModified: true });
    await copyFile(SAMPLES.promsCsv.path, served);
    const changed = await get('/x.csv', { refresh: true });
    expect(t.server.requests.at(-1)?.headers['if-none-match']).toBe(etag);
    expect(changed.result).toMatchObject({ fetched: true, entry: { sha256: SAMPLES.promsCsv.sha256 } });
    expect(changed.result?.entry.etag).not.toBe(etag);
  });
});

describe('the limits are the user\'s to change', () => {
  it('reads NHS_PIPELINE_HTTP_* in seconds and refuses what is not a positive number', async () => {
    const { timeoutsFromEnv } = await import('../../lib/web/index.ts');
    expect(timeoutsFromEnv({ NHS_PIPELINE_HTTP_IDLE_TIMEOUT: '5', NHS_PIPELINE_HTTP_TIMEOUT: '0.5', NHS_PIPELINE_HTTP_MAX_WAIT: '' })).toEqual({ idleTimeoutMs: 5000, timeoutMs: 500 });
    expect(() => timeoutsFromEnv({ NHS_PIPELINE_HTTP_MAX_WAIT: 'soon' })).toThrow('NHS_PIPELINE_HTTP_MAX_WAIT="soon" is not a number of seconds');
  });
});
