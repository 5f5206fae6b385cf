/**
 * The status page, as a person sees it: built through the real CLI (built, stale, pending and failed periods,
 * a publication named with a `<script>`), written by `report`, opened in headless Chromium with the network
 * refused. What the page shows must be what `status --json` says and what the database holds.
 */
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { runCli } from './cli-rig.ts';

const CHROMIUM = '/usr/bin/chromium';
const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');
const SCREENSHOTS = join(import.meta.dirname, '../../.cache');
const NAME = 'OAPs <script>window.__xss = 1</script> & "friends"';
/** The broken file's name reaches the page inside its error message, in text and in an attribute. */
const BROKEN = 'cut"><img src=x onerror="window.__xss = 2">.xlsx';

interface Status {
  publications: {
    publication: string; name: string;
    periods: { period: string; state: string; failure?: { error: string; hint?: string } }[];
    tables: { table: string; period: string; rows: number }[];
  }[];
}

const MISSING = `Chromium not found at ${CHROMIUM}: install it (apt-get install -y --no-install-recommends chromium); .ci/run does so in CI`;

// Not a skip: a page nobody opened is a page nobody tested. This fails (counted as a failure, with the reason),
// and so does every test below, from beforeAll.
it('Chromium is installed where the test opens it', () => {
  expect(existsSync(CHROMIUM), MISSING).toBe(true);
});

describe.each(testBackends())('report: the status page in a browser (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  let browser: Browser;
  let page: Page;
  let status: Status;
  let report: Record<string, unknown>;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(MISSING);
    ws = await mkdtemp(join(tmpdir(), `report-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'));
    await copyFile(join(SAMPLES, 'out-of-area-placements/oaps-open-data-dec-2016.csv'), join(ws, 'dec.csv'));
    // A workbook cut short: its period fails at the draft stage, with an error and a hint.
    const xlsx = await readFile(join(SAMPLES, 'rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx'));
    await writeFile(join(ws, BROKEN), xlsx.subarray(0, Math.floor(xlsx.length / 2)));
    const period = (label: string, path: string) => `      - period: ${label}\n        url: '${path}'`;
    const config = (extra: string[]) =>
      ['publications:', '  oaps:', `    name: '${NAME}'`, '    periods:',
        period('2016-10', join(SAMPLES, 'out-of-area-placements/oaps-open-data-oct-2016.csv')),
        period('2016-12', join(ws, 'dec.csv')),
        period('2017-01', join(ws, BROKEN)), ...extra].join('\n') + '\n';
    await writeFile(join(ws, 'config/publications.yaml'), config([]));
    const build = await runCli(['build', '-C', ws], env);
    expect(build.code, build.stderr).toBe(1);
    // After the build: December's file changes (stale) and a period is added that was never built (pending).
    await appendFile(join(ws, 'dec.csv'), '\n');
    await writeFile(join(ws, 'config/publications.yaml'), config([period('2017-02', join(ws, 'dec.csv'))]));

    const st = await runCli(['status', '-C', ws, '--json'], env);
    expect(st.code, st.stderr).toBe(0);
    status = st.events[0] as unknown as Status;
    const rep = await runCli(['report', '-C', ws, '--json'], env);
    expect(rep.code, rep.stderr).toBe(0);
    report = rep.events[0];

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ offline: true, javaScriptEnabled: true });
    const url = pathToFileURL(String(report.path)).href;
    // Every request but the page itself is recorded and refused: a self-contained page makes none.
    context.on('request', (r) => void (r.url() !== url && requests.push(r.url())));
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, backend === 'pglite' ? 'report.png' : `report-${backend}.png`), fullPage: true });
  });

  afterAll(async () => {
    await browser?.close();
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('the fixture has every state a page must show, and --json says where the page is and how many of each', () => {
    const states = status.publications[0].periods.map((p) => [p.period, p.state]);
    expect(states).toEqual([['2016-10', 'built'], ['2016-12', 'stale'], ['2017-01', 'failed'], ['2017-02', 'pending']]);
    expect(report.path).toBe(join(ws, 'output/report.html'));
    expect(report.periods).toEqual({ built: 1, stale: 1, pending: 1, failed: 1, archived: 0 });
  });

  it('renders without console errors and without a single network request', async () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
    await expect(page.title()).resolves.toBe('nhs-pipeline status');
  });

  it('each publication × period cell shows the state status --json gives', async () => {
    const grid = await page.evaluate(() => {
      const table = document.querySelector('#matrix')!;
      const heads = [...table.querySelectorAll('thead th')].map((th) => (th as HTMLElement).innerText.trim());
      return [...table.querySelectorAll('tbody tr')].map((tr) => ({
        code: (tr.querySelector('th .code') as HTMLElement).innerText.trim(),
        cells: [...tr.querySelectorAll('td')].map((td, i) => [heads[i + 1], (td as HTMLElement).innerText.trim()]),
      }));
    });
    const expected = status.publications.map((p) => ({ code: p.publication, cells: p.periods.map((x) => [x.period, x.state]) }));
    expect(grid).toEqual(expected);
  });

  it('the failed period shows its error and its hint', async () => {
    const failed = status.publications[0].periods.find((p) => p.state === 'failed')!;
    const card = page.locator('article.failure');
    await expect(card.count()).resolves.toBe(1);
    const text = await card.innerText();
    expect(text).toContain('oaps/2017-01');
    expect(text).toContain(BROKEN);
    expect(text).toContain(failed.failure!.error);
    expect(failed.failure!.hint).toBeTruthy();
    expect(text).toContain(failed.failure!.hint!);
    // The failed cell links to it.
    await page.getByRole('link', { name: 'failed' }).click();
    expect(new URL(page.url()).hash).toBe(`#${await card.getAttribute('id')}`);
  });

  it('the rows shown per table and period equal status and the database', async () => {
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('section.tablecard')].flatMap((card) =>
        [...card.querySelectorAll('svg .bar')].map((bar) => ({
          table: (card.querySelector('h4') as HTMLElement).innerText.trim(),
          period: bar.querySelector('.period')!.textContent!.trim(),
          rows: Number(bar.querySelector('.rows')!.textContent!.replace(/,/g, '')),
        })),
      ),
    );
    expect(shown).toEqual(status.publications[0].tables);
    expect(shown.length).toBe(2);
    const conn = await db.open();
    try {
      for (const s of shown) {
        const [{ n }] = await conn.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.${s.table} WHERE _period = $1`, [s.period]);
        expect(s.rows, `${s.table} ${s.period}`).toBe(n);
      }
    } finally {
      await conn.close();
    }
  });

  it('drift between periods shows the change in rows and columns', async () => {
    const [oct, dec] = status.publications[0].tables;
    const row = page.locator('#drift-table tbody tr').filter({ hasText: '2016-10 → 2016-12' });
    const text = await row.innerText();
    expect(text).toContain(oct.table);
    expect(text).toContain(`${oct.rows.toLocaleString('en-GB')} → ${dec.rows.toLocaleString('en-GB')}`);
    // Columns: what December's canonical manifest has that October's has not, and the reverse.
    const { parse } = await import('yaml');
    const columns = async (label: string) => {
      const m = parse(await readFile(join(ws, `manifests/canonical/oaps/${label}.yaml`), 'utf8')) as { tables: { table: string; columns: { name: string }[] }[] };
      return m.tables.find((t) => t.table === oct.table)!.columns.map((c) => c.name);
    };
    const [before, after] = [await columns('2016-10'), await columns('2016-12')];
    const cells = await row.locator('td').allInnerTexts();
    const listed = (cell: string) => (cell === 'none' ? [] : cell.split(', ').map((c) => c.slice(1)));
    expect(listed(cells[2])).toEqual(after.filter((c) => !before.includes(c)));
    expect(listed(cells[3])).toEqual(before.filter((c) => !after.includes(c)));
    expect(cells[2]).not.toBe('none'); // December added columns: the fixture shows real drift
  });

  it('draws the stages of the failed period, the failed stage marked', async () => {
    const dag = page.locator('svg.dag');
    await expect(dag.isVisible()).resolves.toBe(true);
    const failedNode = dag.locator('g.node-failed');
    await expect(failedNode.locator('text').first().textContent()).resolves.toBe('draft');
    const labels = await dag.locator('g.node > text:first-of-type').allTextContents();
    expect(labels).toEqual(['download', 'draft', 'enriched', 'canonical', 'loaded', 'parquet', 'catalog']);
  });

  it('a publication name with <script> is shown as text and never runs', async () => {
    const name = await page.locator('#matrix tbody th .name').innerText();
    expect(name).toBe(NAME);
    await expect(page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).resolves.toBeUndefined();
    await expect(page.locator('script').count()).resolves.toBe(1);
  });

  it('a file name with markup, inside an error message, is shown as text and never loads or runs', async () => {
    await expect(page.locator('img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).resolves.toBeUndefined();
    const title = await page.getByRole('link', { name: 'failed' }).locator('xpath=..').getAttribute('title');
    expect(title).toContain(BROKEN);
  });
});
