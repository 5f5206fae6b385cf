/**
 * `discover --write`: new periods go into the config in period order, written like their neighbours, with every
 * other byte of the file kept; a page that changes between two runs yields exactly the new edition (and an
 * unchanged page costs a conditional request); a `build` after it builds only the new periods.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { ran, runCli } from '../e2e/cli-rig.ts';
import { editionPage, seriesPage } from './pages.ts';
import { startWatch } from '../watch/watch-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
const SERIES = '/data-and-information/publications/statistical/out-of-area-placements-in-mental-health-services';
const EDITIONS = [
  { slug: 'october-2016', file: 'oaps-open-data-oct-2016.csv' },
  { slug: 'december-2016', file: 'oaps-open-data-dec-2016.csv' },
  { slug: 'february-2017', file: 'oaps-open-data-feb-2017.csv' },
];

describe('discover --write', () => {
  let server: TestServer;
  let ws: string;
  let landing: string;
  const config = () => join(ws, 'config/publications.yaml');
  const listing = (n: number) =>
    seriesPage('Out of Area Placements', SERIES, EDITIONS.slice(0, n).reverse().map((e) => ({ slug: e.slug, text: `Out of Area Placements in Mental Health Services, ${e.slug.replace('-', ' ')}` })));

  beforeAll(async () => {
    server = await startTestServer();
    ws = await mkdtemp(join(tmpdir(), 'discover-write-'));
    await mkdir(join(ws, 'config'));
    for (const e of EDITIONS) {
      server.serveFile(`/files/${e.file}`, join(OAPS, e.file));
      server.set(`${SERIES}/${e.slug}`, { body: editionPage(`OAPs ${e.slug}`, [`/files/${e.file}`]), headers: { 'content-type': 'text/html' } });
    }
    // The series page is a file on disk, served with ETag and Last-Modified: it changes between runs.
    landing = join(ws, 'series.html');
    await writeFile(landing, listing(2));
    server.serveFile(SERIES, landing, { 'content-type': 'text/html; charset=utf-8' });
  });
  afterAll(async () => {
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('keeps every comment, blank line and format byte for byte outside the inserted lines', async () => {
    const s = server.url;
    const original = [
      '# My NHS publications.   Odd   spacing   kept.',
      '',
      'publications:',
      '    # four-space indentation, a comment above the publication',
      '    oaps:   # trailing comment',
      '        name: "Out of Area Placements"',
      `        landing_page: ${s}${SERIES}`,
      '        periods:',
      '          # the first release I care about',
      `          -   period: 2016-10   # October`,
      `              url: '${s}${SERIES}/october-2016'`,
      '',
      '          # nothing after this comment',
      '        overrides: { include_sheets: [] }',
      '',
      '# end of file',
      '',
    ].join('\n');
    await writeFile(config(), original);
    const run = await runCli(['discover', '-C', ws, '--write']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Added 1 new period to config/publications.yaml: oaps/2016-12.');
    const now = await readFile(config(), 'utf8');
    const added = [`          -   period: 2016-12`, `              url: ${s}${SERIES}/december-2016`];
    expect(now.split('\n').filter((l) => !added.includes(l)).join('\n')).toBe(original);
    // Right after the entry it follows, before the comment that came after it.
    expect(now).toContain(`/october-2016'\n${added.join('\n')}\n\n          # nothing after this comment`);
    // A second run finds nothing new and writes nothing.
    const again = await runCli(['discover', '-C', ws, '--write']);
    expect(again.stdout).toContain('No new periods.');
    expect(await readFile(config(), 'utf8')).toBe(now);
  });

  it('a page that changes between two runs yields exactly the new edition; an unchanged page is a 304', async () => {
    await writeFile(landing, listing(3));
    const run = await runCli(['discover', '-C', ws, '--json']);
    const oaps = run.events.find((e) => e.event === 'discover')!;
    expect((oaps.proposals as { period: string }[]).map((p) => p.period)).toEqual(['2017-02']);
    expect(oaps.configured).toBe(2);
    const seriesRequests = () => server.requests.filter((r) => r.path === SERIES);
    expect(seriesRequests().at(-1)!.headers['if-none-match']).toBeDefined();
    await runCli(['discover', '-C', ws, '--json']);
    expect(seriesRequests().at(-1)!.headers['if-none-match']).toBeDefined();
  });

  it('inserts in period order, before a later entry', async () => {
    const s = server.url;
    await writeFile(config(), ['publications:', '  oaps:', '    name: OAPs', `    landing_page: ${s}${SERIES}`, '    periods:',
      `      - period: 2016-10\n        url: ${s}${SERIES}/october-2016`, `      - period: 2017-02\n        url: ${s}${SERIES}/february-2017`, ''].join('\n'));
    await runCli(['discover', '-C', ws, '--write']);
    const periods = (await readFile(config(), 'utf8')).split('\n').filter((l) => l.includes('period:')).map((l) => l.trim());
    expect(periods).toEqual(['- period: 2016-10', '- period: 2016-12', '- period: 2017-02']);
  });

  it('a build after discover --write builds only the new periods', async () => {
    const s = server.url;
    await writeFile(landing, listing(2));
    await writeFile(config(), ['publications:', '  oaps:', '    name: OAPs', `    landing_page: ${s}${SERIES}`, '    periods:', `      - period: 2016-10\n        url: ${s}${SERIES}/october-2016`, ''].join('\n'));
    expect((await runCli(['build', '-C', ws, '--json'])).code).toBe(0);
    await writeFile(landing, listing(3));
    expect((await runCli(['discover', '-C', ws, '--write'])).code).toBe(0);
    const build = await runCli(['build', '-C', ws, '--json']);
    expect(build.code).toBe(0);
    const periodTargets = ran(build).filter((k) => !k.startsWith('parquet:') && !k.startsWith('catalog:'));
    expect(periodTargets.sort()).toEqual(['canonical', 'download', 'draft', 'enriched', 'loaded'].flatMap((st) => [`${st}:oaps/2016-12`, `${st}:oaps/2017-02`]).sort());
    expect(ran(await runCli(['build', '-C', ws, '--json']))).toEqual([]);
    // The landing page discover keeps in the download store is not an orphan.
    const clean = (await runCli(['clean', '-C', ws, '--json'])).events[0] as { stores: { downloads: { kinds: Record<string, { id: string }[]> } } };
    expect(Object.values(clean.stores.downloads.kinds).flat().map((i) => i.id)).not.toContain(`${s}${SERIES}`);
  });

  it('watch --discover writes what a page newly offers and builds it', async () => {
    const s = server.url;
    const own = await mkdtemp(join(tmpdir(), 'discover-watch-'));
    await mkdir(join(own, 'config'));
    const file = join(own, 'config/publications.yaml');
    await writeFile(landing, listing(2));
    await writeFile(file, ['publications:', '  oaps:', '    name: OAPs', `    landing_page: ${s}${SERIES}`, '    periods:', `      - period: 2016-10\n        url: ${s}${SERIES}/october-2016`, ''].join('\n'));
    const run = startWatch(['-C', own, '--debounce', '50', '--discover', '1s', 'oaps:draft']);
    try {
      const found = await run.waitFor((e) => e.event === 'watch-discover' && (e.added as string[]).length > 0);
      expect(run.events[found]!.added).toEqual(['oaps/2016-12']);
      await run.waitFor((e) => e.event === 'target-end' && e.key === 'draft:oaps/2016-12' && e.outcome === 'ran', found);
      await writeFile(landing, listing(3));
      await run.waitFor((e) => e.event === 'target-end' && e.key === 'draft:oaps/2017-02' && e.outcome === 'ran', found);
    } finally {
      expect(await run.stop()).toBe(130);
      await rm(own, { recursive: true, force: true }).catch(() => undefined);
    }
    expect(run.stderr()).toBe('');
  });

  it('refuses a config it cannot write to safely, writing nothing', async () => {
    const s = server.url;
    const flow = ['publications:', '  oaps:', '    name: OAPs', `    landing_page: ${s}${SERIES}`, `    periods: [{ period: 2016-10, url: "${s}${SERIES}/october-2016" }]`, ''].join('\n');
    await writeFile(config(), flow);
    const run = await runCli(['discover', '-C', ws, '--write']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a block list of entries, so new periods cannot be added to it automatically');
    expect(await readFile(config(), 'utf8')).toBe(flow);
  });
});


