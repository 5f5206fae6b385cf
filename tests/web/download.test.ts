/**
 * Direct file downloads into the content-addressed store, against a real local HTTP server:
 * hashing, naming, index fields, caching, conditional refresh and a deleted blob.
 */
import { copyFile, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadIndexError, DownloadStore, fetchToStore } from '../../lib/web/index.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { listFiles, SAMPLES, testDeps, workspace } from './helpers.ts';

let server: TestServer;
let ws: Awaited<ReturnType<typeof workspace>>;

beforeEach(async () => {
  server = await startTestServer();
  ws = await workspace();
});
afterEach(async () => {
  await server.close();
  await ws.cleanup();
});

const UPLOAD = '/statistics/wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls';

describe('fetchToStore over HTTP', () => {
  it('stores a real A&E workbook under downloads/<sha256>/<name> and records it in index.json', async () => {
    server.serveFile(UPLOAD, SAMPLES.aeJan2024.path, { 'content-type': 'application/vnd.ms-excel' });
    const deps = testDeps();
    const url = server.url + UPLOAD;
    const r = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps });

    expect(r.fetched).toBe(true);
    expect(r.notModified).toBe(false);
    expect(r.entry.sha256).toBe(SAMPLES.aeJan2024.sha256);
    expect(r.entry.size).toBe(410112);
    expect(r.entry.name).toBe('Monthly-AE-Time-Series-January-2024.xls');
    expect(r.entry.contentType).toBe('application/vnd.ms-excel');
    expect(r.entry.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(r.entry.lastModified).toMatch(/GMT$/);
    expect(r.entry.downloadedAt).toBe('2026-03-12T09:30:00.000Z');

    const blob = ws.store.blobPath(r.entry);
    expect(blob).toBe(join(ws.downloads, SAMPLES.aeJan2024.sha256, 'Monthly-AE-Time-Series-January-2024.xls'));
    expect((await readFile(blob)).equals(await readFile(SAMPLES.aeJan2024.path))).toBe(true);
    expect(await listFiles(ws.downloads)).toEqual([
      `${SAMPLES.aeJan2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
      'index.json',
    ]);

    // The index on disk is keyed by URL with snake_case fields, and a new store reads it back.
    const onDisk = JSON.parse(await readFile(join(ws.downloads, 'index.json'), 'utf8'));
    expect(onDisk.entries[url]).toEqual({
      sha256: SAMPLES.aeJan2024.sha256,
      size: 410112,
      name: 'Monthly-AE-Time-Series-January-2024.xls',
      content_type: 'application/vnd.ms-excel',
      etag: r.entry.etag,
      last_modified: r.entry.lastModified,
      downloaded_at: '2026-03-12T09:30:00.000Z',
    });
    const again = new DownloadStore(ws.downloads);
    await again.load();
    expect(again.lookup(url)).toEqual(r.entry);
    expect(again.entries().map((e) => e.url)).toEqual([url]);
  });

  it('does not contact the server again for a URL already in the store', async () => {
    server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = server.url + UPLOAD;
    await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: testDeps() });
    expect(server.requests).toHaveLength(1);

    // A new process: fresh store object reading the same index.
    const store = new DownloadStore(ws.downloads);
    const r = await fetchToStore(url, { store, baseDir: ws.root, deps: testDeps() });
    expect(r).toMatchObject({ fetched: false, notModified: false, blobWasMissing: false });
    expect(r.entry.sha256).toBe(SAMPLES.aeJan2024.sha256);
    expect(server.requests).toHaveLength(1);
  });

  it('refresh sends If-None-Match and keeps the entry on 304, then stores new bytes on 200', async () => {
    const served = join(ws.root, 'served.xls');
    await copyFile(SAMPLES.aeJan2024.path, served);
    server.serveFile(UPLOAD, served);
    const url = server.url + UPLOAD;
    const first = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: testDeps() });

    const later = testDeps(new Date('2026-04-09T09:30:00.000Z'));
    const r304 = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: later, refresh: true });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers['if-none-match']).toBe(first.entry.etag);
    expect(server.requests[1]!.headers['if-modified-since']).toBe(first.entry.lastModified);
    expect(r304).toMatchObject({ fetched: false, notModified: true });
    expect(r304.entry).toEqual(first.entry);

    // NHS re-publishes under the same URL: the March 2024 workbook replaces the January one.
    await copyFile(SAMPLES.aeMar2024.path, served);
    await utimes(served, new Date('2026-04-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'));
    const r200 = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: later, refresh: true });
    expect(r200).toMatchObject({ fetched: true, notModified: false });
    expect(r200.entry.sha256).toBe(SAMPLES.aeMar2024.sha256);
    expect(r200.entry.size).toBe(412160);
    expect(r200.entry.downloadedAt).toBe('2026-04-09T09:30:00.000Z');
    expect(r200.entry.etag).not.toBe(first.entry.etag);
    expect(ws.store.lookup(url)?.sha256).toBe(SAMPLES.aeMar2024.sha256);
    // The old blob stays (manifests built from it still point at it); both are in the store.
    expect(await listFiles(ws.downloads)).toEqual(
      [
        `${SAMPLES.aeJan2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
        `${SAMPLES.aeMar2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
        'index.json',
      ].sort(),
    );
  });

  it('downloads again, and says so, when the blob was deleted but the index still lists it', async () => {
    server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = server.url + UPLOAD;
    const first = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: testDeps() });
    await rm(join(ws.downloads, first.entry.sha256), { recursive: true });

    const r = await fetchToStore(url, { store: ws.store, baseDir: ws.root, deps: testDeps(), refresh: false });
    expect(r).toMatchObject({ fetched: true, blobWasMissing: true });
    expect(server.requests).toHaveLength(2);
    // No conditional headers: a 304 would leave us without the bytes.
    expect(server.requests[1]!.headers['if-none-match']).toBeUndefined();
    expect(await ws.store.hasBlob(r.entry)).toBe(true);
  });

  it('names the file from Content-Disposition (RFC 5987, en dash) and else from the percent-decoded URL', async () => {
    server.set('/6F/0794D8/download', {
      body: await readFile(SAMPLES.pcnMar2020.path),
      headers: {
        'content-type': 'text/csv',
        'content-disposition':
          "attachment; filename=\"Primary Care Networks - March 2020.csv\"; filename*=UTF-8''Primary%20Care%20Networks%20%E2%80%93%20March%202020%20Individual%20Level.csv",
      },
    });
    server.set('/A1/B2C3D4/Time%20Series%201718.csv', { body: await readFile(SAMPLES.promsCsv.path) });
    const opts = { store: ws.store, baseDir: ws.root, deps: testDeps() };
    const pcn = await fetchToStore(`${server.url}/6F/0794D8/download`, opts);
    expect(pcn.entry.name).toBe('Primary Care Networks – March 2020 Individual Level.csv');
    expect(pcn.entry.sha256).toBe(SAMPLES.pcnMar2020.sha256);
    const proms = await fetchToStore(`${server.url}/A1/B2C3D4/Time%20Series%201718.csv`, opts);
    expect(proms.entry.name).toBe('Time Series 1718.csv');
    expect(proms.entry.size).toBe(1132224);
    expect(await listFiles(ws.downloads)).toContain(`${SAMPLES.promsCsv.sha256}/Time Series 1718.csv`);
  });

  it('stores several concurrent downloads and keeps every entry in index.json', async () => {
    const files = [SAMPLES.aeJan2024, SAMPLES.aeMar2024, SAMPLES.rttJun22, SAMPLES.gpRegistered, SAMPLES.promsCsv];
    files.forEach((f, i) => server.serveFile(`/f${i}/${i}.bin`, f.path));
    const store = new DownloadStore(ws.downloads);
    await Promise.all(files.map((_, i) => fetchToStore(`${server.url}/f${i}/${i}.bin`, { store, baseDir: ws.root, deps: testDeps() })));
    const reread = new DownloadStore(ws.downloads);
    await reread.load();
    expect(reread.entries().map((e) => [e.url.slice(server.url.length), e.sha256])).toEqual(
      files.map((f, i) => [`/f${i}/${i}.bin`, f.sha256]),
    );
  });

  it('fetches a URL once when two callers ask for it at the same time', async () => {
    server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = server.url + UPLOAD;
    const opts = { store: ws.store, baseDir: ws.root, deps: testDeps() };
    const [a, b] = await Promise.all([fetchToStore(url, opts), fetchToStore(url, opts)]);
    expect(server.requests).toHaveLength(1);
    expect([a.fetched, b.fetched]).toEqual([true, false]);
    expect(b.entry).toEqual(a.entry);
  });

  it('merges entries written by another store (process) on the same folder instead of erasing them', async () => {
    server.serveFile('/a.xls', SAMPLES.aeJan2024.path);
    server.serveFile('/b.xlsx', SAMPLES.rttJun22.path);
    const one = new DownloadStore(ws.downloads);
    const two = new DownloadStore(ws.downloads);
    await one.load();
    await two.load(); // both start from an empty index
    await fetchToStore(`${server.url}/a.xls`, { store: one, baseDir: ws.root, deps: testDeps() });
    await fetchToStore(`${server.url}/b.xlsx`, { store: two, baseDir: ws.root, deps: testDeps() });
    const reread = new DownloadStore(ws.downloads);
    await reread.load();
    expect(reread.entries().map((e) => [e.url, e.sha256])).toEqual([
      [`${server.url}/a.xls`, SAMPLES.aeJan2024.sha256],
      [`${server.url}/b.xlsx`, SAMPLES.rttJun22.sha256],
    ]);
  });

  it('removes partial downloads of dead processes but not of live ones', async () => {
    await mkdir(ws.downloads);
    const dead = `.tmp-999999999-abcdef012345`; // pid above the Linux maximum: never alive
    const live = `.tmp-${process.pid}-0123456789ab`;
    await writeFile(join(ws.downloads, dead), 'partial');
    await writeFile(join(ws.downloads, `index.json.tmp-999999999-aaaaaaaaaaaa`), '{');
    await writeFile(join(ws.downloads, live), 'in progress');
    expect(await ws.store.removeStaleTempFiles()).toEqual([dead, 'index.json.tmp-999999999-aaaaaaaaaaaa'].sort());
    expect(await listFiles(ws.downloads)).toEqual([live]);
  });

  it('refuses a corrupt index.json with a hint to delete it', async () => {
    await mkdir(ws.downloads);
    await writeFile(join(ws.downloads, 'index.json'), '{"format": "nhs-pipeline/downloads-index@1", "entries": {');
    const err = await ws.store.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadIndexError);
    expect((err as Error).message).toContain(join(ws.downloads, 'index.json'));
    expect((err as Error).message).toContain('not valid JSON');
    expect((err as Error).message).toContain(`delete ${join(ws.downloads, 'index.json')}`);

    // A hand-edited entry whose name would climb out of downloads/ is refused too.
    await writeFile(
      join(ws.downloads, 'index.json'),
      JSON.stringify({
        format: 'nhs-pipeline/downloads-index@1',
        entries: { 'https://x/y.csv': { sha256: SAMPLES.promsCsv.sha256, size: 1, name: '../../evil.csv', downloaded_at: 'x' } },
      }),
    );
    await expect(ws.store.load()).rejects.toThrow(/unsafe name "\.\.\/\.\.\/evil\.csv"/);
  });
});
