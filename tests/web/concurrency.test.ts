/**
 * Per-host concurrency as observed by a real server, and cancellation: aborting mid-download or
 * during a backoff wait leaves no temp file in downloads/.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createHostLimiter, fetchPeriod, fetchToStore } from '../../lib/web/index.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

const t = withServerAndWorkspace();

describe('per-host limit', () => {
  it('never has more than N requests in flight at the server while fetching a page with 8 files', async () => {
    const body = await readFile(SAMPLES.rttJun22.path);
    const names = Array.from({ length: 8 }, (_, i) => `RTT-Overview-Timeseries-Jun22-XLS-77K-6839${i}.xlsx`);
    for (const n of names) t.server.set(`/files/${n}`, { body, delayMs: 60 });
    t.server.set('/page/', {
      body: `<html><body>${names.map((n) => `<a href="/files/${n}">${n}</a>`).join('\n')}</body></html>`,
      headers: { 'content-type': 'text/html' },
    });
    const r = await fetchPeriod(`${t.server.url}/page/`, {
      store: t.ws.store,
      baseDir: t.ws.root,
      deps: testDeps(),
      limiter: createHostLimiter(2),
    });
    expect(r.files).toHaveLength(8);
    expect(t.server.requests).toHaveLength(9);
    expect(t.server.maxConcurrent).toBe(2);
  });

  it('the default limit is 4 per host', async () => {
    const body = await readFile(SAMPLES.rttJun22.path);
    for (let i = 0; i < 10; i++) t.server.set(`/f/${i}.xlsx`, { body, delayMs: 60 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => fetchToStore(`${t.server.url}/f/${i}.xlsx`, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() })),
    );
    expect(t.server.maxConcurrent).toBe(4);
  });

  it('hosts do not wait for each other', async () => {
    const limit = createHostLimiter(1);
    let running = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
    };
    await Promise.all([limit('https://www.england.nhs.uk/a', task), limit('https://files.digital.nhs.uk/b', task), limit('https://www.england.nhs.uk/c', task)]);
    expect(peak).toBe(2);
  });
});

describe('cancellation', () => {
  it('abort mid-download rejects and leaves no temp file behind', async () => {
    const body = await readFile(SAMPLES.gpRegistered.path);
    let sent!: () => void;
    const halfSent = new Promise<void>((r) => (sent = r));
    t.server.set('/gp-reg-pat-prac-all.csv', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'text/csv' });
        // Send half, then stall until the client gives up.
        res.write(body.subarray(0, body.length / 2), () => sent());
      },
    });
    const controller = new AbortController();
    const pending = fetchToStore(`${t.server.url}/gp-reg-pat-prac-all.csv`, {
      store: t.ws.store,
      baseDir: t.ws.root,
      deps: testDeps(),
      signal: controller.signal,
    });
    await halfSent;
    // Wait until the temp file has received bytes, so the abort really lands mid-body.
    for (let i = 0; i < 100 && !(await listFiles(t.ws.downloads)).some((f) => f.includes('.tmp-')); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await listFiles(t.ws.downloads)).some((f) => f.includes('.tmp-'))).toBe(true);
    controller.abort(new Error('user pressed Ctrl-C'));
    await expect(pending).rejects.toThrow('user pressed Ctrl-C');
    expect(await listFiles(t.ws.downloads)).toEqual([]);
    expect(t.server.requests).toHaveLength(1); // an abort is not retried
  });

  it('abort during a backoff wait stops without another request', async () => {
    t.server.set('/busy.xlsx', { status: 503 });
    const controller = new AbortController();
    const sleeps: number[] = [];
    const deps = {
      sleep: (ms: number, signal?: AbortSignal) => {
        sleeps.push(ms);
        controller.abort(new Error('cancelled while waiting'));
        return Promise.reject(signal?.reason);
      },
    };
    await expect(
      fetchToStore(`${t.server.url}/busy.xlsx`, { store: t.ws.store, baseDir: t.ws.root, deps, signal: controller.signal }),
    ).rejects.toThrow('cancelled while waiting');
    expect(sleeps).toEqual([1000]);
    expect(t.server.requests).toHaveLength(1);
    expect(await listFiles(t.ws.downloads)).toEqual([]);
  });

  it('an already aborted signal makes no request at all', async () => {
    t.server.serveFile('/x.xls', SAMPLES.aeJan2024.path);
    await expect(
      fetchToStore(`${t.server.url}/x.xls`, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps(), signal: AbortSignal.abort(new Error('stop')) }),
    ).rejects.toThrow('stop');
    expect(t.server.requests).toHaveLength(0);
  });
});
