/**
 * A year page that links every month's file (as NHS England publishes A&E and RTT), through the CLI and a
 * real local HTTP server: one `files:` pattern under the publication gives each period its own file and
 * downloads nothing else; a month the page does not have yet fails alone, naming the pattern and what the
 * page links; editing the pattern asks again but rebuilds nothing downstream when it selects the same file.
 * Only the download and draft stages run: no database is involved.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { digestOf } from '../../engine/index.ts';
import { ran, runCli } from './cli-rig.ts';

const AE = join(import.meta.dirname, '../fixtures/nhs-samples/ae-attendances-emergency-admissions');
const FILES = ['Monthly-AE-Time-Series-January-2024.xls', 'Monthly-AE-Time-Series-March-2024.xls', 'Monthly-AE-Time-Series-March-2026-F5ldj2.xls'];
const PAGE = '/statistics/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-2023-24/';

describe('a year page and files: patterns', () => {
  let server: TestServer;
  let ws: string;
  const config = (pattern: string, periods: string[]) =>
    ['publications:', '  ae:', '    name: A&E', `    files: "${pattern}"`, '    periods:', ...periods.flatMap((p) => [`      - period: ${p}`, `        url: ${server.url}${PAGE}`])].join('\n') + '\n';
  const build = (...args: string[]) => runCli(['build', '-C', ws, '--json', ...args]);
  const fetched = () => server.requests.filter((r) => r.path.endsWith('.xls')).map((r) => r.path.split('/').pop()).sort();
  const downloaded = async (period: string) =>
    (parse(await readFile(join(ws, `manifests/download/ae/${period}.yaml`), 'utf8')) as { files: { name: string }[] }).files.map((f) => f.name);

  beforeAll(async () => {
    server = await startTestServer();
    for (const f of FILES) server.serveFile(`/uploads/${f}`, join(AE, f));
    server.set(PAGE, {
      body: `<html><body><h1>A&amp;E 2023-24</h1><ul>${FILES.map((f) => `<li><a href="/uploads/${f}">${f.replace(/-/g, ' ')} (XLS, 401K)</a></li>`).join('')}</ul>` +
        '<a href="/uploads/guidance.pdf">Guidance</a></body></html>',
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    ws = await mkdtemp(join(tmpdir(), 'year-page-'));
    await mkdir(join(ws, 'config'));
  });
  afterAll(async () => {
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('each period downloads its own month\'s file and no other', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config('Monthly-AE-Time-Series-{MMMM}-{YYYY}*', ['2024-01', '2024-03']));
    const res = await build('ae:draft');
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual(['download:ae/2024-01', 'download:ae/2024-03', 'draft:ae/2024-01', 'draft:ae/2024-03']);
    expect(await downloaded('2024-01')).toEqual([FILES[0]]);
    expect(await downloaded('2024-03')).toEqual([FILES[1]]);
    // The March 2026 file matches no period and is never fetched.
    expect(fetched()).toEqual([FILES[0], FILES[1]]);
    // The period's config input is its url and its patterns as filled in for it.
    const manifest = parse(await readFile(join(ws, 'manifests/download/ae/2024-01.yaml'), 'utf8')) as { provenance: { inputs: Record<string, string> } };
    expect(manifest.provenance.inputs['config:ae/2024-01']).toBe(digestOf({ url: `${server.url}${PAGE}`, files: ['Monthly-AE-Time-Series-January-2024*'] }));
  });

  it('a month the page does not link fails alone, naming the pattern and what the page links', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config('Monthly-AE-Time-Series-{MMMM}-{YYYY}*', ['2024-01', '2024-02', '2024-03']));
    const res = await build('ae:draft');
    expect(res.code).toBe(1);
    const failed = res.events.filter((e) => e.event === 'target-end' && e.outcome === 'failed');
    expect(failed.map((e) => e.key)).toEqual(['download:ae/2024-02']);
    const error = failed[0]!.error as { message: string; hint: string };
    expect(error.message).toContain(`None of the 3 data files linked from the page ${server.url}${PAGE} matches files: Monthly-AE-Time-Series-February-2024*`);
    expect(error.message).toContain(`(the page links ${FILES.join(', ')})`);
    expect(error.hint).toContain('`files:`');
    expect(ran(res)).toEqual([]); // the other two periods were already built
  });

  it('editing the pattern asks the page again; the same files selected rebuild nothing downstream', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config('*-{MMMM}-{YYYY}.xls', ['2024-01', '2024-03']));
    const res = await build('ae:draft');
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual(['download:ae/2024-01', 'download:ae/2024-03']);
    expect(await downloaded('2024-03')).toEqual([FILES[1]]);
    expect(ran(await build('ae:draft'))).toEqual([]);
  });
});
