/**
 * Progress that tells the truth, as a user sees it from a real process: in plain mode (a pipe, CI) a trickled
 * download is named with its bytes, rate and time left by a heartbeat while it runs, a 503 is said with its wait
 * as it happens, ends are counted `[done/total]`, and a table closes the build. On a pseudo-terminal the listr
 * display counts `[done/total]` per group.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fault } from '../rig/faults.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, startCli } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const OCT = join(ROOT, 'tests/fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv');

describe('progress in plain mode', () => {
  let server: TestServer;
  let ws: string;
  beforeAll(async () => {
    server = await startTestServer();
    const body = await readFile(OCT);
    server.set('/slow.csv', fault.trickle(body, 32 * 1024, 250));
    server.set('/flaky.csv', [fault.status(503), { body, headers: { 'content-type': 'text/csv' } }]);
    ws = await mkdtemp(join(tmpdir(), 'progress-'));
    await mkdir(join(ws, 'config'));
    await writeFile(
      join(ws, 'config/publications.yaml'),
      `publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: ${server.url}/slow.csv\n      - period: 2016-12\n        url: ${server.url}/flaky.csv\n`,
    );
  });
  afterAll(async () => {
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('says what runs during a long download, retries with their wait, counts ends and closes with a table', async () => {
    // The embedded database: the terminal test below runs on both.
    const p = startCli(['build', '-C', ws, 'oaps/*:loaded', '-j', '2'], { NHS_PIPELINE_HEARTBEAT: '1', DATABASE_URL: undefined });
    // While the trickled download still runs, a heartbeat names it, how long it has run, and how far it is.
    await p.until(/… \[\d+\/\d+\] running: .*download oaps\/2016-10 \d+ s \(\S+\/slow\.csv: [\d.]+ KiB of 559\.5 KiB \(\d+%\), [\d.]+ KiB\/s, about \d+ (s|ms) left\)/, p.stdout);
    const code = await p.code;
    const out = p.stdout();
    expect(code, out + p.stderr()).toBe(0);
    expect(out).toMatch(/download oaps\/2016-12: HTTP 503 Service Unavailable from \S+\/flaky\.csv: trying again in \d+ s \(attempt 2\)/);
    // Ends are counted overall and in their group; the group knows its ten period targets (five stages, two periods) up front.
    expect(out).toMatch(/✔ download oaps\/2016-1\d .*\[\d+\/\d+\] oaps \[\d+\/10\]/);
    expect(out).toMatch(/✔ loaded oaps\/2016-\d\d .*\[\d+\/\d+\] oaps \[10\/10\]/);
    const lines = out.split('\n');
    const head = lines.findIndex((l) => /^ +built +up to date +failed +skipped +cancelled +busy$/.test(l));
    expect(head, out).toBeGreaterThan(-1);
    expect(lines[head + 1]).toMatch(/^oaps +10 +0 +0 +0 +0 +[\d.]+s$/);
    expect(lines[head + 2]).toMatch(/^built 10, up to date 0, failed 0, skipped 0/);
  }, 120_000);
});

describe.each(testBackends())('progress on a pseudo-terminal (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  beforeAll(async () => {
    ws = await oapsWorkspace('progress-tty-');
    db = await makeTestDb(backend, ws);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('draws an overall line and each group with [done/total], then the table and the summary', async () => {
    // `script` (util-linux) runs the CLI on a real pseudo-terminal (given a size, as a terminal has) and copies what it draws.
    const cmd = `stty cols 120 rows 40; ${process.execPath} --import tsx ${join(ROOT, 'pipeline.ts')} build -C ${ws} 'oaps/*:loaded'`;
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1', COLUMNS: '120' };
    delete env.CI;
    delete env.DATABASE_URL;
    if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
    const { stdout } = await promisify(execFile)('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env, maxBuffer: 1 << 24 });
    // eslint-disable-next-line no-control-regex
    const shown = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect(shown).toMatch(/all \[10\/10\]/);
    expect(shown).toMatch(/oaps \[10\/10\]: 10 built/);
    expect(shown).toMatch(/oaps +10 +0 +0 +0 +0 +[\d.]+s/);
    expect(shown).toMatch(/built 10, up to date 0, failed 0, skipped 0/);
  }, 120_000);
});
