/**
 * Failure handling against a real local server: terminal HTTP errors, retries with backoff and
 * Retry-After (waits recorded by an injected sleep, never slept), truncated bodies, HTML served where
 * a spreadsheet was expected, size limits and timeouts. Failed downloads leave nothing in downloads/.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DownloadError, fetchToStore, type FetchOptions } from '../../lib/web/index.ts';
import { startTestServer } from '../rig/http-server.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

const t = withServerAndWorkspace();

async function failure(url: string, opts: Partial<FetchOptions> = {}): Promise<DownloadError> {
  const err = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps(), ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

const MAR26 = '/statistics/wp-content/uploads/sites/2/2026/04/Monthly-AE-Time-Series-March-2026-F5ldj2.xls';

describe('terminal HTTP errors', () => {
  it('404 names the URL and status, hints at an unpublished period, and is not retried', async () => {
    const deps = testDeps();
    const err = await failure(t.server.url + MAR26, { deps });
    expect(err.kind).toBe('not-found');
    expect(err.status).toBe(404);
    expect(err.url).toBe(t.server.url + MAR26);
    expect(err.message).toBe(
      `HTTP 404 Not Found for ${t.server.url}${MAR26} — the period may not be published yet — check the URL in config/publications.yaml`,
    );
    expect(t.server.requests).toHaveLength(1);
    expect(deps.sleeps).toEqual([]);
    expect(await listFiles(t.ws.downloads)).toEqual([]);
    expect(err.environmental).toBe(false); // kept in the failure ledger: not asked again daily
  });

  it('410 and 403 are terminal too, 403 mentioning blocked automated downloads', async () => {
    t.server.set('/gone.xlsx', { status: 410 });
    t.server.set('/blocked.xlsx', { status: 403, body: '<html>Attention Required! | Cloudflare</html>' });
    const gone = await failure(`${t.server.url}/gone.xlsx`);
    expect([gone.kind, gone.status]).toEqual(['not-found', 410]);
    const blocked = await failure(`${t.server.url}/blocked.xlsx`);
    expect([blocked.kind, blocked.status]).toEqual(['forbidden', 403]);
    expect(blocked.message).toContain(`HTTP 403 Forbidden (access refused) for ${t.server.url}/blocked.xlsx`);
    expect(blocked.message).toContain('blocking automated downloads');
    expect(t.server.requests).toHaveLength(2);
    expect([gone.environmental, blocked.environmental]).toEqual([false, false]);
  });
});

describe('retries', () => {
  it('500 → 500 → 200 succeeds on the third attempt after 1 s and 2 s backoff', async () => {
    const body = await readFile(SAMPLES.rttJun22.path);
    t.server.set('/rtt.xlsx', [{ status: 500 }, { status: 500 }, { status: 200, body }]);
    const deps = testDeps();
    const retries: string[] = [];
    const r = await fetchToStore(`${t.server.url}/rtt.xlsx`, {
      store: t.ws.store,
      baseDir: t.ws.root,
      deps,
      onRetry: (i) => retries.push(`${i.attempt}:${i.waitMs}:${i.reason}`),
    });
    expect(r.entry.sha256).toBe(SAMPLES.rttJun22.sha256);
    expect(t.server.requests).toHaveLength(3);
    expect(deps.sleeps).toEqual([1000, 2000]);
    expect(retries).toEqual(['1:1000:HTTP 500 Internal Server Error', '2:2000:HTTP 500 Internal Server Error']);
  });

  it('honours Retry-After in seconds and as an HTTP-date (relative to the injected clock)', async () => {
    const body = await readFile(SAMPLES.rttJun22.path);
    t.server.set('/rtt.xlsx', [
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': 'Thu, 12 Mar 2026 09:30:45 GMT' } },
      { status: 200, body },
    ]);
    const deps = testDeps(new Date('2026-03-12T09:30:00.000Z'));
    const r = await fetchToStore(`${t.server.url}/rtt.xlsx`, { store: t.ws.store, baseDir: t.ws.root, deps });
    expect(r.fetched).toBe(true);
    expect(deps.sleeps).toEqual([7000, 45000]);
  });

  it('does not wait for a Retry-After longer than the limit: fails at once, transient, saying how long the server asked', async () => {
    t.server.set('/x.csv', [{ status: 429, headers: { 'retry-after': '86400' } }, { body: 'a,b\r\n1,2\r\n' }]);
    const deps = testDeps();
    const err = await failure(`${t.server.url}/x.csv`, { deps });
    expect(deps.sleeps).toEqual([]);
    expect(t.server.requests).toHaveLength(1);
    expect(err.message).toContain(`HTTP 429 Too Many Requests for ${t.server.url}/x.csv: the server asks to wait 24 h before trying again, longer than a build waits (60 s)`);
    expect(err.failure).toMatchObject({ kind: 'environment', transient: true });
    // Within the limit (here raised for the test), the wait is honoured.
    t.server.set('/y.csv', [{ status: 429, headers: { 'retry-after': '90' } }, { body: 'a,b\r\n1,2\r\n' }]);
    const patient = testDeps();
    await fetchToStore(`${t.server.url}/y.csv`, { store: t.ws.store, baseDir: t.ws.root, deps: patient, maxWaitMs: 120_000 });
    expect(patient.sleeps).toEqual([90_000]);
  });

  it('gives up after 4 attempts with the last status in the message', async () => {
    t.server.set('/busy.xlsx', { status: 503 });
    const deps = testDeps();
    const err = await failure(`${t.server.url}/busy.xlsx`, { deps });
    expect(err.kind).toBe('http');
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(4);
    expect(err.message).toContain(`HTTP 503 Service Unavailable for ${t.server.url}/busy.xlsx after 4 attempts`);
    expect(t.server.requests).toHaveLength(4);
    expect(deps.sleeps).toEqual([1000, 2000, 4000]);
    expect(err.environmental).toBe(true); // the server's failure: the next build tries again
  });

  it('a 408 or 429 that persists is the server\'s failure too', async () => {
    t.server.set('/timeout.xlsx', { status: 408 });
    t.server.set('/limited.xlsx', { status: 429 });
    const timeout = await failure(`${t.server.url}/timeout.xlsx`, { retries: 2 });
    const limited = await failure(`${t.server.url}/limited.xlsx`, { retries: 2 });
    expect([timeout.status, timeout.environmental, limited.status, limited.environmental]).toEqual([408, true, 429, true]);
  });

  it('retries a timed-out request and reports the timeout when attempts run out', async () => {
    t.server.set('/slow.csv', { delayMs: 2000, body: 'a\r\n' });
    const err = await failure(`${t.server.url}/slow.csv`, { timeoutMs: 100, retries: 2 });
    expect(err.kind).toBe('network');
    expect(err.environmental).toBe(true);
    expect(err.message).toContain(`Download of ${t.server.url}/slow.csv failed (no response from the server within 100 ms, the limit for one attempt) after 2 attempts`);
    expect(t.server.requests).toHaveLength(2);
  });

  it('does not retry a refused connection: it fails at once, naming the host, and the next build tries again', async () => {
    const deadUrl = t.server.url;
    await t.server.close();
    const deps = testDeps();
    const err = await failure(`${deadUrl}/x.csv`, { deps, retries: 3 });
    expect(err.kind).toBe('network');
    expect(err.message).toContain(`cannot reach ${new URL(deadUrl).host}: it refuses connections`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.failure.transient).toBe(true);
    expect(deps.sleeps).toEqual([]);
    t.server = await startTestServer(); // afterEach closes it
  });
});

describe('bodies that must not enter the store', () => {
  it('rejects a body cut short of its Content-Length and leaves nothing in downloads/', async () => {
    const body = await readFile(SAMPLES.gpRegistered.path);
    t.server.set('/6F/0794D8/gp-reg-pat-prac-all.csv', { body, truncateAfter: 100_000 });
    const deps = testDeps();
    const err = await failure(`${t.server.url}/6F/0794D8/gp-reg-pat-prac-all.csv`, { deps });
    expect(err.kind).toBe('truncated');
    expect(err.environmental).toBe(true);
    expect(err.message).toContain(`Download of ${t.server.url}/6F/0794D8/gp-reg-pat-prac-all.csv failed`);
    expect(t.server.requests).toHaveLength(4); // a dropped connection is worth retrying
    expect(await listFiles(t.ws.downloads)).toEqual([]);
    expect(t.ws.store.entries()).toEqual([]);
  });

  it('succeeds when a retry after a truncated body gets the whole file', async () => {
    const body = await readFile(SAMPLES.gpRegistered.path);
    t.server.set('/gp.csv', [{ body, truncateAfter: 4096 }, { body }]);
    const r = await fetchToStore(`${t.server.url}/gp.csv`, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });
    expect(r.entry.sha256).toBe(SAMPLES.gpRegistered.sha256);
    expect(r.entry.size).toBe(490522);
    expect(await listFiles(t.ws.downloads)).toEqual([`${SAMPLES.gpRegistered.sha256}/gp.csv`, 'index.json']);
  });

  it('rejects an HTML login page served as .xlsx (no retry, nothing stored)', async () => {
    const login = '\n<!DOCTYPE html>\n<html lang="en"><head><title>Sign in</title></head><body>Please sign in</body></html>';
    t.server.set('/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx', { body: login, headers: { 'content-type': 'text/html' } });
    const err = await failure(`${t.server.url}/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx`);
    expect(err.kind).toBe('html-not-data');
    expect(err.message).toContain(
      `${t.server.url}/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx: the server returned an HTML page instead of a spreadsheet (login page or error page?)`,
    );
    expect(t.server.requests).toHaveLength(1);
    expect(await listFiles(t.ws.downloads)).toEqual([]);
  });

  it('rejects a large HTML page (many chunks) served for a .zip', async () => {
    const page = `<!DOCTYPE html><html><body>${'<p>Our site is under maintenance.</p>\n'.repeat(5000)}</body></html>`;
    t.server.set('/Full-CSV-data-file-Mar26-ZIP-4M-Dc1i9U.zip', { body: page });
    const err = await failure(`${t.server.url}/Full-CSV-data-file-Mar26-ZIP-4M-Dc1i9U.zip`);
    expect(err.kind).toBe('html-not-data');
    expect(await listFiles(t.ws.downloads)).toEqual([]);
  });

  it('rejects HTML from an extensionless URL whose Content-Type promised a spreadsheet', async () => {
    t.server.set('/download', {
      body: '<html><body>Error 500</body></html>',
      headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    });
    const err = await failure(`${t.server.url}/download`);
    expect(err.kind).toBe('html-not-data');
  });

  it('enforces the size limit from Content-Length and while streaming', async () => {
    const body = await readFile(SAMPLES.promsCsv.path);
    t.server.set('/big.csv', { body });
    const declared = await failure(`${t.server.url}/big.csv`, { maxBytes: 1_000_000 });
    expect(declared.kind).toBe('too-large');
    expect(declared.message).toContain(`${t.server.url}/big.csv is larger than the 976.6 KiB limit (1.1 MiB)`);

    // No Content-Length (chunked): the limit trips mid-stream and the partial file is removed.
    t.server.set('/chunked.csv', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(body);
      },
    });
    const streamed = await failure(`${t.server.url}/chunked.csv`, { maxBytes: 1_000_000 });
    expect(streamed.kind).toBe('too-large');
    expect(streamed.message).toMatch(/chunked\.csv is larger than the 976\.6 KiB limit \(stopped after \d+\.\d (KiB|MiB)\)/);
    expect(await listFiles(t.ws.downloads)).toEqual([]);
  });
});
