/**
 * Direct file downloads into the content-addressed store, against a real local HTTP server:
 * hashing, naming, index fields, caching, conditional refresh and a deleted blob.
 */
import { copyFile, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadIndexError, DownloadStore, fetchToStore } from '../../lib/web/index.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

const t = withServerAndWorkspace();

const UPLOAD = '/statistics/wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls';

describe('fetchToStore over HTTP', () => {
  it('stores a real A&E workbook under downloads/<sha256>/<name> and records it in index.json', async () => {
    t.server.serveFile(UPLOAD, SAMPLES.aeJan2024.path, { 'content-type': 'application/vnd.ms-excel' });
    const deps = testDeps();
    const url = t.server.url + UPLOAD;
    const r = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps });

    expect(r.fetched).toBe(true);
    expect(r.notModified).toBe(false);
    expect(r.entry.sha256).toBe(SAMPLES.aeJan2024.sha256);
    expect(r.entry.size).toBe(410112);
    expect(r.entry.name).toBe('Monthly-AE-Time-Series-January-2024.xls');
    expect(r.entry.contentType).toBe('application/vnd.ms-excel');
    expect(r.entry.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(r.entry.lastModified).toMatch(/GMT$/);
    expect(r.entry.downloadedAt).toBe('2026-03-12T09:30:00.000Z');

    const blob = t.ws.store.blobPath(r.entry);
    expect(blob).toBe(join(t.ws.downloads, SAMPLES.aeJan2024.sha256, 'Monthly-AE-Time-Series-January-2024.xls'));
    expect((await readFile(blob)).equals(await readFile(SAMPLES.aeJan2024.path))).toBe(true);
    expect(await listFiles(t.ws.downloads)).toEqual([
      `${SAMPLES.aeJan2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
      'index.json',
    ]);

    // The index on disk is keyed by URL with snake_case fields, and a new store reads it back.
    const onDisk = JSON.parse(await readFile(join(t.ws.downloads, 'index.json'), 'utf8'));
    expect(onDisk.entries[url]).toEqual({
      sha256: SAMPLES.aeJan2024.sha256,
      size: 410112,
      name: 'Monthly-AE-Time-Series-January-2024.xls',
      content_type: 'application/vnd.ms-excel',
      etag: r.entry.etag,
      last_modified: r.entry.lastModified,
      downloaded_at: '2026-03-12T09:30:00.000Z',
    });
    const again = new DownloadStore(t.ws.downloads);
    await again.load();
    expect(again.lookup(url)).toEqual(r.entry);
    expect(again.entries().map((e) => e.url)).toEqual([url]);
  });

  it('does not contact the server again for a URL already in the store', async () => {
    t.server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = t.server.url + UPLOAD;
    await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });
    expect(t.server.requests).toHaveLength(1);

    // A new process: fresh store object reading the same index.
    const store = new DownloadStore(t.ws.downloads);
    const r = await fetchToStore(url, { store, baseDir: t.ws.root, deps: testDeps() });
    expect(r).toMatchObject({ fetched: false, notModified: false, blobWasMissing: false });
    expect(r.entry.sha256).toBe(SAMPLES.aeJan2024.sha256);
    expect(t.server.requests).toHaveLength(1);
  });

  it('refresh sends If-None-Match and keeps the entry on 304, then stores new bytes on 200', async () => {
    const served = join(t.ws.root, 'served.xls');
    await copyFile(SAMPLES.aeJan2024.path, served);
    t.server.serveFile(UPLOAD, served);
    const url = t.server.url + UPLOAD;
    const first = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });

    const later = testDeps(new Date('2026-04-09T09:30:00.000Z'));
    const r304 = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: later, refresh: true });
    expect(t.server.requests).toHaveLength(2);
    expect(t.server.requests[1]!.headers['if-none-match']).toBe(first.entry.etag);
    expect(t.server.requests[1]!.headers['if-modified-since']).toBe(first.entry.lastModified);
    expect(r304).toMatchObject({ fetched: false, notModified: true });
    expect(r304.entry).toEqual(first.entry);

    // NHS re-publishes under the same URL: the March 2024 workbook replaces the January one.
    await copyFile(SAMPLES.aeMar2024.path, served);
    await utimes(served, new Date('2026-04-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'));
    const r200 = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: later, refresh: true });
    expect(r200).toMatchObject({ fetched: true, notModified: false });
    expect(r200.entry.sha256).toBe(SAMPLES.aeMar2024.sha256);
    expect(r200.entry.size).toBe(412160);
    expect(r200.entry.downloadedAt).toBe('2026-04-09T09:30:00.000Z');
    expect(r200.entry.etag).not.toBe(first.entry.etag);
    expect(t.ws.store.lookup(url)?.sha256).toBe(SAMPLES.aeMar2024.sha256);
    // The old blob stays (manifests built from it still point at it); both are in the store.
    expect(await listFiles(t.ws.downloads)).toEqual(
      [
        `${SAMPLES.aeJan2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
        `${SAMPLES.aeMar2024.sha256}/Monthly-AE-Time-Series-January-2024.xls`,
        'index.json',
      ].sort(),
    );
  });

  it('downloads again, and says so, when the blob was deleted but the index still lists it', async () => {
    t.server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = t.server.url + UPLOAD;
    const first = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });
    await rm(join(t.ws.downloads, first.entry.sha256), { recursive: true });

    const r = await fetchToStore(url, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps(), refresh: false });
    expect(r).toMatchObject({ fetched: true, blobWasMissing: true });
    expect(t.server.requests).toHaveLength(2);
    // No conditional headers: a 304 would leave us without the bytes.
    expect(t.server.requests[1]!.headers['if-none-match']).toBeUndefined();
    expect(await t.ws.store.hasBlob(r.entry)).toBe(true);
  });

  it('names the file from Content-Disposition (RFC 5987, en dash) and else from the percent-decoded URL', async () => {
    t.server.set('/6F/0794D8/download', {
      body: await readFile(SAMPLES.pcnMar2020.path),
      headers: {
        'content-type': 'text/csv',
        'content-disposition':
          "attachment; filename=\"Primary Care Networks - March 2020.csv\"; filename*=UTF-8''Primary%20Care%20Networks%20%E2%80%93%20March%202020%20Individual%20Level.csv",
      },
    });
    t.server.set('/A1/B2C3D4/Time%20Series%201718.csv', { body: await readFile(SAMPLES.promsCsv.path) });
    const opts = { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() };
    const pcn = await fetchToStore(`${t.server.url}/6F/0794D8/download`, opts);
    expect(pcn.entry.name).toBe('Primary Care Networks – March 2020 Individual Level.csv');
    expect(pcn.entry.sha256).toBe(SAMPLES.pcnMar2020.sha256);
    const proms = await fetchToStore(`${t.server.url}/A1/B2C3D4/Time%20Series%201718.csv`, opts);
    expect(proms.entry.name).toBe('Time Series 1718.csv');
    expect(proms.entry.size).toBe(1132224);
    expect(await listFiles(t.ws.downloads)).toContain(`${SAMPLES.promsCsv.sha256}/Time Series 1718.csv`);
  });

  it('stores several concurrent downloads and keeps every entry in index.json', async () => {
    const files = [SAMPLES.aeJan2024, SAMPLES.aeMar2024, SAMPLES.rttJun22, SAMPLES.gpRegistered, SAMPLES.promsCsv];
    files.forEach((f, i) => t.server.serveFile(`/f${i}/${i}.bin`, f.path));
    const store = new DownloadStore(t.ws.downloads);
    await Promise.all(files.map((_, i) => fetchToStore(`${t.server.url}/f${i}/${i}.bin`, { store, baseDir: t.ws.root, deps: testDeps() })));
    const reread = new DownloadStore(t.ws.downloads);
    await reread.load();
    expect(reread.entries().map((e) => [e.url.slice(t.server.url.length), e.sha256])).toEqual(
      files.map((f, i) => [`/f${i}/${i}.bin`, f.sha256]),
    );
  });

  it('fetches a URL once when two callers ask for it at the same time', async () => {
    t.server.serveFile(UPLOAD, SAMPLES.aeJan2024.path);
    const url = t.server.url + UPLOAD;
    const opts = { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() };
    const [a, b] = await Promise.all([fetchToStore(url, opts), fetchToStore(url, opts)]);
    expect(t.server.requests).toHaveLength(1);
    expect([a.fetched, b.fetched]).toEqual([true, false]);
    expect(b.entry).toEqual(a.entry);
  });

  it('merges entries written by another store (process) on the same folder instead of erasing them', async () => {
    t.server.serveFile('/a.xls', SAMPLES.aeJan2024.path);
    t.server.serveFile('/b.xlsx', SAMPLES.rttJun22.path);
    const one = new DownloadStore(t.ws.downloads);
    const two = new DownloadStore(t.ws.downloads);
    await one.load();
    await two.load(); // both start from an empty index
    await fetchToStore(`${t.server.url}/a.xls`, { store: one, baseDir: t.ws.root, deps: testDeps() });
    await fetchToStore(`${t.server.url}/b.xlsx`, { store: two, baseDir: t.ws.root, deps: testDeps() });
    const reread = new DownloadStore(t.ws.downloads);
    await reread.load();
    expect(reread.entries().map((e) => [e.url, e.sha256])).toEqual([
      [`${t.server.url}/a.xls`, SAMPLES.aeJan2024.sha256],
      [`${t.server.url}/b.xlsx`, SAMPLES.rttJun22.sha256],
    ]);
  });

  it('removes partial downloads of dead processes but not of live ones', async () => {
    await mkdir(t.ws.downloads);
    const dead = `download.tmp-999999999-abcdef012345`; // pid above the Linux maximum: never alive
    const live = `download.tmp-${process.pid}-0123456789ab`;
    await writeFile(join(t.ws.downloads, dead), 'partial');
    await writeFile(join(t.ws.downloads, `index.json.tmp-999999999-aaaaaaaaaaaa`), '{');
    await writeFile(join(t.ws.downloads, live), 'in progress');
    expect(await t.ws.store.removeStaleTempFiles()).toEqual([dead, 'index.json.tmp-999999999-aaaaaaaaaaaa'].sort());
    expect(await listFiles(t.ws.downloads)).toEqual([live]);
  });

  it('refuses a corrupt index.json with a hint to delete it', async () => {
    await mkdir(t.ws.downloads);
    await writeFile(join(t.ws.downloads, 'index.json'), '{"format": "nhs-pipeline/downloads-index@1", "entries": {');
    const err = await t.ws.store.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadIndexError);
    expect((err as Error).message).toContain(join(t.ws.downloads, 'index.json'));
    expect((err as Error).message).toContain('not valid JSON');
    expect((err as Error).message).toContain(`delete ${join(t.ws.downloads, 'index.json')}`);

    // A hand-edited entry whose name would climb out of downloads/ is refused too.
    await writeFile(
      join(t.ws.downloads, 'index.json'),
      JSON.stringify({
        format: 'nhs-pipeline/downloads-index@1',
        entries: { 'https://x/y.csv': { sha256: SAMPLES.promsCsv.sha256, size: 1, name: '../../evil.csv', downloaded_at: 'x' } },
      }),
    );
    await expect(t.ws.store.load()).rejects.toThrow(/unsafe name "\.\.\/\.\.\/evil\.csv"/);
  });
});
