/**
 * Bad input through the whole pipeline: each failure names what and where, the other periods still build,
 * and nothing half-written is left behind.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, unreachableDatabaseUrl, type TestDb } from '../rig/db.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { oapsWorkspace, ran, runCli } from './cli-rig.ts';

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');

describe.each(testBackends())('bad input (%s)', (backend) => {
  let server: TestServer;
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    server = await startTestServer();
    server.serveFile('/good.csv', join(SAMPLES, 'out-of-area-placements/oaps-open-data-oct-2016.csv'));
    // A login page served where a workbook was promised.
    server.set('/login.xlsx', { body: '<!DOCTYPE html><html><body>Please sign in</body></html>', headers: { 'content-type': 'text/html' } });
    // A workbook cut short: the first half of a real .xlsx, served completely (so the download itself succeeds).
    const xlsx = await readFile(join(SAMPLES, 'rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx'));
    server.set('/cut.xlsx', { body: xlsx.subarray(0, Math.floor(xlsx.length / 2)), headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } });
    // A workbook that holds only a notes sheet: no table, which must fail its period, not load nothing in silence.
    const XLSX = await import('@e965/xlsx');
    const notes = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(notes, XLSX.utils.aoa_to_sheet([['Notes'], ['note 1', 'Figures are provisional.']]), 'Notes');
    server.set('/notes-only.xlsx', { body: Buffer.from(XLSX.write(notes, { type: 'buffer', bookType: 'xlsx' })), headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } });
    ws = await mkdtemp(join(tmpdir(), `bad-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'));
    await writeFile(
      join(ws, 'config/publications.yaml'),
      ['publications:', '  oaps:', '    name: OAPs', '    periods:',
        `      - period: 2016-10\n        url: ${server.url}/good.csv`,
        `      - period: 2016-11\n        url: ${server.url}/login.xlsx`,
        `      - period: 2016-12\n        url: ${server.url}/cut.xlsx`,
        `      - period: 2017-01\n        url: ${server.url}/notes-only.xlsx`].join('\n') + '\n',
    );
  });
  afterAll(async () => {
    await db?.cleanup();
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('an HTML page as .xlsx and a truncated workbook fail their own period with what and where; the good one builds', async () => {
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = Object.fromEntries(
      res.events.filter((e) => e.event === 'target-end' && e.outcome === 'failed').map((e) => [e.key, (e.error as { message: string; hint?: string })]),
    );
    expect(Object.keys(failed).sort()).toEqual(['download:oaps/2016-11', 'draft:oaps/2016-12', 'draft:oaps/2017-01']);
    expect(failed['draft:oaps/2017-01'].message).toBe('no table found in the file of oaps/2017-01 (notes-only.xlsx: sheet "Notes" contents/notes sheet)');
    expect(failed['download:oaps/2016-11'].message).toContain(`${server.url}/login.xlsx`);
    expect(failed['download:oaps/2016-11'].message).toMatch(/HTML/);
    expect(failed['draft:oaps/2016-12'].message).toContain(`cut.xlsx from ${server.url}/cut.xlsx`); // the URL, not only the stored copy
    expect(failed['draft:oaps/2016-12'].hint).toBeTruthy();
    // The hint is reported once, on its own, not repeated at the end of the message.
    for (const f of Object.values(failed) as { message: string; hint?: string }[]) expect(f.message).not.toContain(f.hint);
    const plain = await runCli(['status', '-C', ws], env);
    expect(plain.stdout.split(failed['draft:oaps/2016-12'].hint!).length - 1).toBe(1);
    expect(ran(res)).toContain('parquet:oaps/oaps_good'); // the table is named after good.csv
    // Nothing half-written: no temp files, no manifest for the failed stages.
    const all = await readdir(ws, { recursive: true });
    expect(all.filter((f) => /\.tmp-/.test(f) && !f.includes('.pglite'))).toEqual([]);
    expect(all).not.toContain(join('manifests', 'draft', 'oaps', '2016-12.yaml'));
    // The failures are in the ledger; the next build does not retry them.
    const again = await runCli(['build', '-C', ws, '--json'], env);
    expect(ran(again)).toEqual([]);
    expect(again.code).toBe(1);
  });
});

describe('a database that cannot be reached', () => {
  let ws: string;
  let url: string;
  beforeAll(async () => {
    url = await unreachableDatabaseUrl('s3cret-pw');
    ws = await oapsWorkspace('no-db-');
  });
  afterAll(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('fails the loads with the cause and its hint printed once, builds every stage before them, never prints the password', async () => {
    const res = await runCli(['build', '-C', ws], { DATABASE_URL: url });
    expect(res.code).toBe(1);
    // Both loads, the Parquet file and the catalog need the database: one full message, then references to it.
    const failed = res.stdout.split('\n').filter((l) => l.includes('✖'));
    expect(failed.map((l) => /✖ (\w+) /.exec(l)![1]).sort()).toEqual(['catalog', 'loaded', 'loaded', 'parquet']);
    expect(failed[0]).toMatch(/✖ loaded oaps\/2016-1[02] failed: Could not connect to PostgreSQL at 127\.0\.0\.1:\d+\/nhs as nhs: connect ECONNREFUSED/);
    const first = /✖ (loaded oaps\/2016-1[02]) failed/.exec(failed[0]!)![1];
    for (const l of failed.slice(1)) expect(l).toMatch(new RegExp(`failed: the same error as ${first}( \\[\\d+\\/\\d+\\] \\w+ \\[\\d+\\/\\d+\\])?$`));
    expect(res.stdout.split('hint: Nothing is listening').length - 1).toBe(1);
    expect(res.stdout).not.toContain('s3cret-pw');
    expect(res.stderr).not.toContain('s3cret-pw');
    // Everything before the database was built.
    for (const stage of ['download', 'draft', 'enriched', 'canonical']) {
      for (const p of ['2016-10', '2016-12']) expect(await readFile(join(ws, `manifests/${stage}/oaps/${p}.yaml`), 'utf8')).toContain('provenance');
    }
  });

  it('is not remembered as a failure: the next build tries the database again, and loads once it is there', async () => {
    const again = await runCli(['build', '-C', ws, '--json'], { DATABASE_URL: url });
    expect(again.code).toBe(1);
    const ends = again.events.filter((e) => e.event === 'target-end' && e.outcome !== 'up-to-date');
    expect(ends.map((e) => `${String(e.key)} ${String(e.outcome)}`).sort()).toEqual(['catalog:all failed', 'loaded:oaps/2016-10 failed', 'loaded:oaps/2016-12 failed', 'parquet:oaps/oaps_open_data failed']);
    for (const e of ends) expect(e.error).toMatchObject({ kind: 'environment', transient: true });
    // The embedded database is there: everything loads, nothing is skipped as a previous failure.
    const built = await runCli(['build', '-C', ws, '--json']);
    expect(built.code).toBe(0);
    expect(ran(built)).toEqual(['catalog:all', 'loaded:oaps/2016-10', 'loaded:oaps/2016-12', 'parquet:oaps/oaps_open_data']);
  });
});
