/**
 * fetchPeriod: a period URL that is a page (served by a real local server, or a local HTML file)
 * or a direct file, downloading every linked data file into the store.
 */
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DownloadError, DownloadStore, fetchPeriod } from '../../lib/web/index.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

const t = withServerAndWorkspace();

const YEAR_PAGE = '/statistics/statistical-work-areas/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-2023-24/';
const JAN = '/statistics/wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls';
const MAR = '/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls';

function yearPageHtml(): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>A&amp;E 2023-24</title></head><body>
<h3>March 2024</h3>
<a href="/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls">Monthly A&amp;E Time Series March 2024 (XLS, 403K)</a>
<a href="/statistics/wp-content/uploads/sites/2/2024/04/Statistical-Press-Notice-March-2024.pdf">Press notice (PDF, 200K)</a>
<h3>January 2024</h3>
<a href="../../../wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls">Monthly A&amp;E Time Series January 2024 (XLS, 401K)</a>
</body></html>`;
}

describe('fetchPeriod over HTTP', () => {
  it('downloads a publication page and every data file it links, in page order', async () => {
    t.server.set(YEAR_PAGE, { body: yearPageHtml(), headers: { 'content-type': 'text/html; charset=UTF-8' } });
    t.server.serveFile(JAN, SAMPLES.aeJan2024.path);
    t.server.serveFile(MAR, SAMPLES.aeMar2024.path);
    const opts = { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() };
    const r = await fetchPeriod(t.server.url + YEAR_PAGE, opts);

    expect(r.kind).toBe('page');
    expect(r.page?.url).toBe(t.server.url + YEAR_PAGE);
    expect(r.page?.contentType).toBe('text/html; charset=UTF-8');
    expect(r.files.map((f) => [f.url, f.name, f.sha256, f.size])).toEqual([
      [t.server.url + MAR, 'Monthly-AE-Time-Series-March-2024.xls', SAMPLES.aeMar2024.sha256, 412160],
      [t.server.url + JAN, 'Monthly-AE-Time-Series-January-2024.xls', SAMPLES.aeJan2024.sha256, 410112],
    ]);
    expect(r.fetchedCount).toBe(3);
    // The PDF was never requested.
    expect(t.server.requests.map((q) => q.path).sort()).toEqual([JAN, MAR, YEAR_PAGE].sort());

    const again = await fetchPeriod(t.server.url + YEAR_PAGE, { ...opts, store: new DownloadStore(t.ws.downloads) });
    expect(again.fetchedCount).toBe(0);
    expect(again.files.map((f) => f.sha256)).toEqual([SAMPLES.aeMar2024.sha256, SAMPLES.aeJan2024.sha256]);
    expect(t.server.requests).toHaveLength(3);
  });

  it('downloads only the links chosen by select, and says what the page offered when nothing matches', async () => {
    t.server.set(YEAR_PAGE, { body: yearPageHtml(), headers: { 'content-type': 'text/html' } });
    t.server.serveFile(JAN, SAMPLES.aeJan2024.path);
    t.server.serveFile(MAR, SAMPLES.aeMar2024.path);
    const opts = { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() };
    const r = await fetchPeriod(t.server.url + YEAR_PAGE, { ...opts, select: (l) => l.text.includes('January 2024') });
    expect(r.links).toEqual([{ url: t.server.url + JAN, text: 'Monthly A&E Time Series January 2024 (XLS, 401K)' }]);
    expect(r.files.map((f) => f.sha256)).toEqual([SAMPLES.aeJan2024.sha256]);
    expect(t.server.requests.map((q) => q.path)).not.toContain(MAR);

    const err = await fetchPeriod(t.server.url + YEAR_PAGE, { ...opts, select: (l) => l.url.includes('April-2024'), selection: 'files: *April-2024*' }).catch((e: unknown) => e);
    expect((err as DownloadError).kind).toBe('no-data-links');
    expect((err as DownloadError).message).toContain(
      `None of the 2 data files linked from the page ${t.server.url}${YEAR_PAGE} matches files: *April-2024* ` +
        '(the page links Monthly-AE-Time-Series-March-2024.xls, Monthly-AE-Time-Series-January-2024.xls)',
    );
  });

  it('resolves relative links against the URL after a redirect (WordPress adds the trailing slash)', async () => {
    t.server.set('/rtt-data-2022-23', { status: 301, headers: { location: '/rtt-data-2022-23/' } });
    t.server.set('/rtt-data-2022-23/', {
      body: '<html><body><a href="files/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx">RTT overview Jun22 (XLSX, 77K)</a></body></html>',
      headers: { 'content-type': 'text/html' },
    });
    t.server.serveFile('/rtt-data-2022-23/files/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx', SAMPLES.rttJun22.path);
    const r = await fetchPeriod(`${t.server.url}/rtt-data-2022-23`, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });
    expect(r.page?.finalUrl).toBe(`${t.server.url}/rtt-data-2022-23/`);
    expect(r.files.map((f) => [f.url, f.sha256])).toEqual([
      [`${t.server.url}/rtt-data-2022-23/files/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx`, SAMPLES.rttJun22.sha256],
    ]);
  });

  it('treats a data-extension URL as a file, and an extensionless URL serving a spreadsheet as a file', async () => {
    t.server.serveFile(JAN, SAMPLES.aeJan2024.path);
    t.server.set('/download/1234', {
      body: await readFile(SAMPLES.rttJun22.path),
      headers: {
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': 'attachment; filename="RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx"',
      },
    });
    const opts = { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() };
    const direct = await fetchPeriod(t.server.url + JAN, opts);
    expect(direct).toMatchObject({ kind: 'file', fetchedCount: 1 });
    expect(direct.page).toBeUndefined();
    expect(direct.files.map((f) => f.sha256)).toEqual([SAMPLES.aeJan2024.sha256]);
    const endpoint = await fetchPeriod(`${t.server.url}/download/1234`, opts);
    expect(endpoint.kind).toBe('file');
    expect(endpoint.files.map((f) => [f.name, f.sha256])).toEqual([
      ['RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx', SAMPLES.rttJun22.sha256],
    ]);
  });

  it('fails with no-data-links for a page that links only documents', async () => {
    const page = '/data-and-information/publications/statistical/mi-adhd/september-2025';
    t.server.set(page, {
      body: '<html><body><h1>ADHD MI - September 2025</h1><p>Upcoming, not yet published</p><a href="/x/methodology.pdf">Methodology</a></body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const err = await fetchPeriod(t.server.url + page, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind).toBe('no-data-links');
    expect((err as DownloadError).message).toBe(
      `The page ${t.server.url}${page} links no data files (.xlsx .xlsm .xls .ods .csv .zip) — the period may not be published yet ` +
        '(an "upcoming" page has no files) or the files sit on another page — open it in a browser and put the page or file URL(s) in config/publications.yaml',
    );
  });

  it('reports a missing linked file after the other downloads finished', async () => {
    t.server.set(YEAR_PAGE, { body: yearPageHtml(), headers: { 'content-type': 'text/html' } });
    t.server.serveFile(MAR, SAMPLES.aeMar2024.path); // JAN is not served: 404
    const err = await fetchPeriod(t.server.url + YEAR_PAGE, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() }).catch((e: unknown) => e);
    expect((err as DownloadError).kind).toBe('not-found');
    expect((err as DownloadError).url).toBe(t.server.url + JAN);
    expect((err as DownloadError).message).toBe(
      `HTTP 404 Not Found for ${t.server.url}${JAN} (linked from the page ${t.server.url}${YEAR_PAGE}) — the page links a file the server ` +
        "does not have (a broken link on the publisher's side); try again later, or list the file URLs of this period in config/publications.yaml instead of the page",
    );
    expect(t.ws.store.lookup(t.server.url + MAR)?.sha256).toBe(SAMPLES.aeMar2024.sha256);
  });
});

describe('a remote page never leads to local files (issue 14, hole 1)', () => {
  it('ignores file: links on an http page (also through <base href>), downloads its http links, and names what it ignored', async () => {
    // A file on this machine that a hostile page points at: it must never reach the store.
    const secret = join(t.ws.root, 'secret.csv');
    await writeFile(secret, 'password\nhunter2\n');
    const page = '/hostile/';
    t.server.set(page, {
      headers: { 'content-type': 'text/html' },
      body: `<html><body><a href="${pathToFileURL(secret).href}">data</a><a href="${JAN}">January</a><a href="ftp://example.org/x.csv">ftp</a></body></html>`,
    });
    t.server.serveFile(JAN, SAMPLES.aeJan2024.path);
    const r = await fetchPeriod(t.server.url + page, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() });
    expect(r.files.map((f) => f.url)).toEqual([t.server.url + JAN]);
    expect(r.refused).toEqual([pathToFileURL(secret).href, 'ftp://example.org/x.csv']);
    expect(t.ws.store.entries().map((e) => e.url)).not.toContain(pathToFileURL(secret).href);

    const based = '/based/';
    t.server.set(based, { headers: { 'content-type': 'text/html' }, body: `<html><head><base href="${pathToFileURL(t.ws.root).href}/"></head><body><a href="secret.csv">data</a></body></html>` });
    const err = await fetchPeriod(t.server.url + based, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps() }).catch((e: unknown) => e);
    expect((err as DownloadError).kind).toBe('no-data-links');
    expect((err as DownloadError).message).toContain(`; it links 1 that leave http(s) (${pathToFileURL(secret).href}), which a remote page may not`);
    expect((await listFiles(t.ws.downloads)).filter((f) => f.endsWith('secret.csv'))).toEqual([]);
  });
});

describe('fetchPeriod with local files', () => {
  /** Workspace layout: config/ (baseDir) and samples/ next to it, as in an offline example. */
  async function localLayout(root: string): Promise<string> {
    const baseDir = join(root, 'config');
    await mkdir(baseDir, { recursive: true });
    await mkdir(join(root, 'samples', 'ae'), { recursive: true });
    await mkdir(join(root, 'samples', 'proms'), { recursive: true });
    await copyFile(SAMPLES.aeJan2024.path, join(root, 'samples', 'ae', 'Monthly-AE-Time-Series-January-2024.xls'));
    await copyFile(SAMPLES.promsCsv.path, join(root, 'samples', 'proms', 'Time Series 1718.csv'));
    await writeFile(
      join(root, 'samples', 'ae', 'page.html'),
      '<!doctype html><html><body><a href="Monthly-AE-Time-Series-January-2024.xls">Jan 2024</a>' +
        '<a href="../proms/Time%20Series%201718.csv">PROMs 1718</a><a href="notes.pdf">notes</a></body></html>',
    );
    return baseDir;
  }

  it('stores a local page and its linked files, recording links relative to baseDir; a moved clone still works', async () => {
    const baseDir = await localLayout(t.ws.root);
    const r = await fetchPeriod('../samples/ae/page.html', { store: t.ws.store, baseDir, deps: testDeps() });
    expect(r.kind).toBe('page');
    expect(r.page?.url).toBe('../samples/ae/page.html');
    expect(r.files.map((f) => [f.url, f.name, f.sha256, f.size])).toEqual([
      ['../samples/ae/Monthly-AE-Time-Series-January-2024.xls', 'Monthly-AE-Time-Series-January-2024.xls', SAMPLES.aeJan2024.sha256, 410112],
      ['../samples/proms/Time Series 1718.csv', 'Time Series 1718.csv', SAMPLES.promsCsv.sha256, 1132224],
    ]);
    expect(r.links).toEqual([
      { url: '../samples/ae/Monthly-AE-Time-Series-January-2024.xls', text: 'Jan 2024' },
      { url: '../samples/proms/Time Series 1718.csv', text: 'PROMs 1718' },
    ]);
    expect(r.fetchedCount).toBe(3);
    expect(t.server.requests).toHaveLength(0);

    // Move the whole workspace: the index holds only relative paths, so nothing is re-read.
    const moved = `${t.ws.root}-moved`;
    await rename(t.ws.root, moved);
    try {
      const store = new DownloadStore(join(moved, 'downloads'));
      const again = await fetchPeriod('../samples/ae/page.html', { store, baseDir: join(moved, 'config'), deps: testDeps() });
      expect(again.fetchedCount).toBe(0);
      expect(again.files.map((f) => f.sha256)).toEqual([SAMPLES.aeJan2024.sha256, SAMPLES.promsCsv.sha256]);
      for (const f of again.files) expect(await store.hasBlob(f)).toBe(true);
    } finally {
      await rename(moved, t.ws.root);
    }
  });

  it('reads a local data file given as a relative path or a file: URL, recorded exactly as written', async () => {
    const baseDir = await localLayout(t.ws.root);
    const abs = pathToFileURL(join(t.ws.root, 'samples', 'proms', 'Time Series 1718.csv')).href;
    const opts = { store: t.ws.store, baseDir, deps: testDeps() };
    const rel = await fetchPeriod('../samples/proms/Time Series 1718.csv', opts);
    const viaUrl = await fetchPeriod(abs, opts);
    expect(rel.files[0]).toMatchObject({ url: '../samples/proms/Time Series 1718.csv', sha256: SAMPLES.promsCsv.sha256, contentType: 'text/csv' });
    expect(viaUrl.files[0]).toMatchObject({ url: abs, sha256: SAMPLES.promsCsv.sha256 });
    expect(t.ws.store.entries().map((e) => e.url).sort()).toEqual([abs, '../samples/proms/Time Series 1718.csv'].sort());
    // Same bytes, same name: one blob.
    expect((await listFiles(t.ws.downloads)).filter((f) => f !== 'index.json')).toEqual([`${SAMPLES.promsCsv.sha256}/Time Series 1718.csv`]);
  });

  it('re-reads a local file that changed on disk, and names a missing one with its resolved path', async () => {
    const baseDir = await localLayout(t.ws.root);
    const target = join(t.ws.root, 'samples', 'ae', 'Monthly-AE-Time-Series-January-2024.xls');
    const url = '../samples/ae/Monthly-AE-Time-Series-January-2024.xls';
    const opts = { store: t.ws.store, baseDir, deps: testDeps() };
    expect((await fetchPeriod(url, opts)).fetchedCount).toBe(1);
    expect((await fetchPeriod(url, opts)).fetchedCount).toBe(0);
    await copyFile(SAMPLES.aeMar2024.path, target);
    const changed = await fetchPeriod(url, opts);
    expect(changed.fetchedCount).toBe(1);
    expect(changed.files[0]?.sha256).toBe(SAMPLES.aeMar2024.sha256);

    const err = await fetchPeriod('../samples/ae/Monthly-AE-Time-Series-February-2024.xls', opts).catch((e: unknown) => e);
    expect((err as DownloadError).kind).toBe('local-missing');
    expect((err as DownloadError).message).toContain(
      `Local file ${join(t.ws.root, 'samples', 'ae', 'Monthly-AE-Time-Series-February-2024.xls')} does not exist (written as "../samples/ae/Monthly-AE-Time-Series-February-2024.xls", resolved against ${baseDir})`,
    );
  });
});
