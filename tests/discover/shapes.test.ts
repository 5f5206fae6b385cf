/**
 * `discover` on each shape of NHS page, served by a real local HTTP server from fixture pages written from the
 * documented structure: what it proposes, with which URL and evidence, and what it says when a layout yields nothing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { runCli } from '../e2e/cli-rig.ts';
import { editionPage, seriesPage, workAreaPage, yearPage } from './pages.ts';

const HTML = { 'content-type': 'text/html; charset=utf-8' };
const ADHD = '/data-and-information/publications/statistical/mi-adhd';
const PCN = '/data-and-information/publications/statistical/primary-care-network-workforce';
const QOF = '/data-and-information/publications/statistical/quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data';
const RTT = '/statistics/statistical-work-areas/rtt-waiting-times';
const BEDS = '/statistics/statistical-work-areas/bed-availability-and-occupancy/bed-data-overnight';
const up = (y: string, m: string, f: string) => `/statistics/wp-content/uploads/sites/2/${y}/${m}/${f}`;

describe('discover on each shape of publication page', () => {
  let server: TestServer;
  let ws: string;
  let events: Record<string, any>[];
  let code: number;
  let stdout: string;
  const found = (pub: string) => events.find((e) => e.event === 'discover' && e.publication === pub)!;

  beforeAll(async () => {
    server = await startTestServer();
    const html = (path: string, body: string) => server.set(path, { body, headers: HTML });
    // digital.nhs.uk series page: Latest, Past publications (one before the first configured period), an upcoming edition without files.
    html(ADHD, seriesPage('ADHD Management Information', ADHD, [
      { slug: 'november-2025', text: 'ADHD Management Information - November 2025' },
      { slug: 'august-2025', text: 'ADHD Management Information - August 2025' },
      { slug: 'may-2025', text: 'ADHD Management Information - May 2025' },
      { slug: 'november-2024', text: 'ADHD Management Information - November 2024' },
    ], [{ slug: 'february-2026', text: 'ADHD Management Information - February 2026' }]));
    html(`${ADHD}/november-2025`, editionPage('ADHD Management Information - November 2025', ['/files/A1/B2C3D4/ADHD_Nov25.csv', '/files/A1/B2C3D4/ADHD_summary_Nov25.xlsx']));
    html(`${ADHD}/february-2026`, editionPage('ADHD Management Information - February 2026', []));
    // Census day in the slug; a monthly publication.
    html(PCN, seriesPage('Primary Care Network Workforce', PCN, [
      { slug: '30-november-2025', text: 'Primary Care Network Workforce, 30 November 2025' },
      { slug: '31-october-2025', text: 'Primary Care Network Workforce, 31 October 2025' },
    ]));
    html(`${PCN}/30-november-2025`, editionPage('Primary Care Network Workforce, 30 November 2025', [`/files/0A/1B2C3D/Primary%20Care%20Networks%20-%20November%202025%20Individual%20Level.csv`]));
    // Financial-year editions.
    html(QOF, seriesPage('Quality and Outcomes Framework', QOF, [{ slug: '2024-25', text: 'Quality and Outcomes Framework, 2024-25' }, { slug: '2023-24', text: 'Quality and Outcomes Framework, 2023-24' }, { slug: '2022-23', text: 'Quality and Outcomes Framework, 2022-23' }]));
    html(`${QOF}/2023-24`, editionPage('QOF 2023-24', ['/files/11/223344/qof-2324-prev-ach-pca-ind.xlsx']));
    html(`${QOF}/2024-25`, editionPage('QOF 2024-25', ['/files/55/667788/qof-2425-prev-ach-pca-ind.xlsx']));
    // england.nhs.uk work area → financial-year pages, each linking many months' files of several publications.
    html(`${RTT}/`, workAreaPage('Referral to Treatment (RTT) Waiting Times', [
      { href: `${RTT}/rtt-data-2025-26/`, text: 'RTT Data 2025-26' },
      { href: `${RTT}/rtt-data-2024-25/`, text: 'RTT Data 2024-25' },
      { href: `${RTT}/rtt-data-2023-24/`, text: 'RTT Data 2023-24' },
    ]));
    html(`${RTT}/rtt-data-2025-26/`, yearPage('Statistical work areas RTT Data 2025-26', [
      { heading: 'October 2025', files: [
        { href: up('2025', '12', 'Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx'), text: 'Incomplete Provider Oct25 (XLSX, 9M)' },
        { href: up('2025', '12', 'NonAdmitted-Provider-Oct25-XLSX-4M-a1b2c3.xlsx'), text: 'NonAdmitted Provider Oct25 (XLSX, 4M)' },
        { href: up('2025', '12', 'Full-CSV-data-file-Oct25-ZIP-4M-Dc1i9U.zip'), text: 'Full CSV data file Oct25 (ZIP, 4M)' },
      ] },
      { heading: 'September 2025', files: [{ href: up('2025', '11', 'Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx'), text: 'Incomplete Provider Sep25 (XLSX, 9M)' }] },
      { heading: 'April 2025', files: [{ href: up('2025', '06', 'Incomplete-Provider-Apr25-XLSX-9M-revised.xlsx'), text: 'Incomplete Provider Apr25 (XLSX, 9M)' }] },
    ]));
    html(`${RTT}/rtt-data-2024-25/`, yearPage('RTT Data 2024-25', [
      { heading: 'March 2025', files: [{ href: up('2025', '05', 'Incomplete-Provider-Mar25-XLSX-9M-x1Y2z3.xlsx'), text: 'Incomplete Provider Mar25 (XLSX, 9M)' }] },
      { heading: 'February 2025', files: [{ href: up('2025', '04', 'Incomplete-Provider-Feb25-XLSX-9M-q9W8e7.xlsx'), text: 'Incomplete Provider Feb25 (XLSX, 9M)' }] },
    ]));
    // Quarterly files on one page.
    html(`${BEDS}/`, yearPage('Bed Availability and Occupancy Data - Overnight', [
      { heading: 'Q3 2024-25', files: [{ href: up('2025', '02', 'Beds-Open-Overnight-Web_File-Q3-2024-25-revised.xlsx'), text: 'Beds Open Overnight Web File Q3 2024-25 (XLSX, 500K)' }] },
      { heading: 'Q2 2024-25', files: [{ href: up('2024', '11', 'Beds-Open-Overnight-Web_File-Q2-2024-25.xlsx'), text: 'Beds Open Overnight Web File Q2 2024-25 (XLSX, 500K)' }] },
    ]));
    // A year page, but the publication says nothing of which files are its own; and a page with nothing at all.
    html('/statistics/ae-2025-26/', yearPage('A&E 2025-26', [{ heading: 'November 2025', files: [{ href: up('2025', '12', 'November-2025-AE-by-provider-0Qu74-1.xls'), text: 'A&E by provider November 2025 (XLS, 200K)' }] }]));
    html('/statistics/empty/', workAreaPage('Nothing here yet', []));

    ws = await mkdtemp(join(tmpdir(), 'discover-shapes-'));
    await mkdir(join(ws, 'config'));
    const s = server.url;
    await writeFile(join(ws, 'config/publications.yaml'), [
      'publications:',
      '  adhd:',
      '    name: ADHD Management Information',
      `    landing_page: ${s}${ADHD}`,
      '    periods:',
      `      - { period: 2025-05, url: "${s}${ADHD}/may-2025" }`,
      `      - { period: 2025-08, url: "${s}${ADHD}/august-2025" }`,
      '  pcn:',
      '    name: PCN Workforce',
      `    landing_page: ${s}${PCN}`,
      `    periods: [{ period: 2025-10, url: "${s}${PCN}/31-october-2025" }]`,
      '  qof:',
      '    name: QOF',
      `    landing_page: ${s}${QOF}`,
      `    periods: [{ period: FY2022-23, url: "${s}${QOF}/2022-23" }]`,
      '  rtt:',
      '    name: RTT Incomplete Provider',
      `    landing_page: ${s}${RTT}/`,
      '    files: Incomplete-Provider-{MMM}{YY}-*',
      `    periods: [{ period: 2025-03, url: "${s}${RTT}/rtt-data-2024-25/" }, { period: 2025-09, url: "${s}${RTT}/rtt-data-2025-26/" }]`,
      '    discover: { exclude: [2025-04] }',
      '  beds:',
      '    name: Beds',
      `    landing_page: ${s}${BEDS}/`,
      '    files: Beds-Open-Overnight-Web_File-*',
      `    periods: [{ period: FY2024-25-Q2, url: "${s}${BEDS}/" }]`,
      '  ae:',
      '    name: A&E by provider',
      `    landing_page: ${s}/statistics/ae-2025-26/`,
      `    periods: [{ period: 2025-10, url: "${s}${up('2025', '11', 'October-2025-AE-by-provider-9Xy8Z.xls')}" }]`,
      '  empty:',
      '    name: Empty',
      `    landing_page: ${s}/statistics/empty/`,
      `    periods: [{ period: 2025-10, url: "${s}/x.csv" }]`,
      '  local_only:',
      '    name: No landing page',
      '    periods: [{ period: 2025-10, url: data/x.csv }]',
    ].join('\n') + '\n');
    ({ code, events, stdout } = await runCli(['discover', '-C', ws, '--json']));
  });
  afterAll(async () => {
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('series page: the new edition that links files, with its evidence; an announced one and the back catalogue are not proposed', () => {
    const adhd = found('adhd');
    expect(adhd.proposals).toEqual([{
      publication: 'adhd', period: '2025-11', url: `${server.url}${ADHD}/november-2025`, via: 'edition page',
      evidence: { linkText: 'ADHD Management Information - November 2025', linkUrl: `${server.url}${ADHD}/november-2025`, readFrom: 'url', readText: 'november-2025', foundOn: `${server.url}${ADHD}`, dataFiles: 2 },
    }]);
    expect(adhd.configured).toBe(2);
    expect(adhd.skipped).toEqual([{ period: '2026-02', url: `${server.url}${ADHD}/february-2026`, reason: 'not published yet: the edition page links no data files' }]);
    expect(adhd.earlier).toEqual({ count: 1, since: '2025-05', sinceFrom: 'the first configured period' });
  });

  it('a census day in the slug names its month for a monthly publication', () => {
    expect(found('pcn').proposals.map((p: any) => [p.period, p.url])).toEqual([['2025-11', `${server.url}${PCN}/30-november-2025`]]);
  });

  it('financial-year editions', () => {
    expect(found('qof').proposals.map((p: any) => p.period)).toEqual(['FY2023-24', 'FY2024-25']);
  });

  it('work-area page: financial-year pages read too; the period is a month in a file name matching files:', () => {
    const rtt = found('rtt');
    // 2023-24 ends before the first configured period and is not read; April 2025 is excluded; Feb 2025 predates 2025-03.
    expect(rtt.proposals.map((p: any) => [p.period, p.url, p.evidence.files])).toEqual([
      ['2025-10', `${server.url}${RTT}/rtt-data-2025-26/`, ['Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx']],
    ]);
    expect(rtt.proposals[0].evidence.readText).toBe('Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx');
    expect(rtt.skipped).toEqual([{ period: '2025-04', url: `${server.url}${RTT}/rtt-data-2025-26/`, reason: 'excluded by discover.exclude' }]);
    expect(rtt.earlier.count).toBe(1);
    expect(server.requests.some((r) => r.path === `${RTT}/rtt-data-2023-24/`)).toBe(false);
  });

  it('financial quarters in file names', () => {
    expect(found('beds').proposals.map((p: any) => p.period)).toEqual(['FY2024-25-Q3']);
  });

  it('a layout that yields nothing says so, names what it looked for, and exits 1', async () => {
    expect(code).toBe(1);
    const empty = found('empty');
    expect(empty.problem.message).toContain(`no periods found on ${server.url}/statistics/empty/: looked for links to pages below /statistics/empty/ whose address or text names a month`);
    const ae = found('ae');
    expect(ae.problem.message).toContain('1 of them to data files');
    expect(ae.problem.hint).toContain('`files: {MMMM}-{YYYY}-AE-by-provider-*`');
    expect(events.some((e) => e.publication === 'local_only')).toBe(false);
    const text = await runCli(['discover', '-C', ws, 'empty']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('error: no periods found on');
    expect(text.stdout).toContain('hint: check that landing_page is the series page');
  });

  it('the text output lists each proposal with its evidence and how to add them', async () => {
    const run = await runCli(['discover', '-C', ws, 'adhd', 'pcn']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`+ 2025-11      ${server.url}${ADHD}/november-2025`);
    expect(run.stdout).toContain('link "ADHD Management Information - November 2025": read 2025-11 from the URL (november-2025); edition page linking 2 data files');
    expect(run.stdout).toContain('skipped 2026-02: not published yet');
    expect(run.stdout).toContain('1 earlier edition not proposed (before 2025-05, the first configured period; set discover.since to go further back)');
    expect(run.stdout).toContain('Found 2 new periods: adhd/2025-11, pcn/2025-11.');
    expect(run.stdout).toContain('--write adhd pcn');
    expect(stdout).toContain('"event":"summary","command":"discover","proposals":6');
  });

  it('an unknown publication is a usage error with a suggestion', async () => {
    const run = await runCli(['discover', '-C', ws, 'adhdd']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown publication "adhdd"');
    expect(run.stderr).toContain('did you mean "adhd"?');
  });
});
