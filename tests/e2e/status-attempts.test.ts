/**
 * `status` remembers environmental failures: a period whose download was refused shows the last attempt's
 * error (text and --json) instead of a bare "never built", without entering the failure ledger
 * (manifests/failures/), so the next build tries it again; a success forgets the note.
 */
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closedPort } from '../rig/faults.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { runCli } from './cli-rig.ts';

const OCT = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv');
let ws: string;
let server: TestServer;
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'status-attempts-'));
  server = await startTestServer();
  server.serveFile('/oct.csv', OCT);
});
afterAll(async () => {
  await server?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
});

const config = (url: string) => writeFile(join(ws, 'config/publications.yaml'), `publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: ${url}\n`);

it('a refused download shows in status with its error, stays out of the ledger, and is forgotten once built', async () => {
  await mkdir(join(ws, 'config'));
  const port = await closedPort();
  await config(`http://127.0.0.1:${port}/oct.csv`);
  const build = await runCli(['build', '-C', ws, 'oaps/*:download']);
  expect(build.code).toBe(1);

  const text = await runCli(['status', '-C', ws]);
  expect(text.stdout).toContain('pending 2016-10: never built; the last attempt failed');
  expect(text.stdout).toMatch(new RegExp(`download oaps/2016-10 at \\S+: .*127\\.0\\.0\\.1:${port}.* \\(the next build tries again\\)`));
  expect(text.stdout).not.toContain('(never built)');

  const json = await runCli(['status', '-C', ws, '--json']);
  const period = JSON.parse(json.stdout).publications[0].periods[0];
  expect(period).toMatchObject({ period: '2016-10', state: 'pending', lastAttempt: { target: 'download:oaps/2016-10', kind: expect.any(String), at: expect.any(String) } });
  expect(period.lastAttempt.error).toContain(`127.0.0.1:${port}`);
  // Not a remembered failure: no ledger file, and the next build tries again rather than skipping.
  await expect(access(join(ws, 'manifests/failures'))).rejects.toThrow();
  expect((await runCli(['build', '-C', ws, 'oaps/*:download', '-n'])).stdout).toMatch(/would run +download oaps\/2016-10/);

  await config(`${server.url}/oct.csv`);
  expect((await runCli(['build', '-C', ws, 'oaps/*:download'])).code).toBe(0);
  const after = JSON.parse((await runCli(['status', '-C', ws, '--json'])).stdout).publications[0].periods[0];
  expect(after.lastAttempt).toBeUndefined();
  expect((await runCli(['status', '-C', ws])).stdout).not.toContain('the last attempt failed');
}, 120_000);
