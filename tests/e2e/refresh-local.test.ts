/**
 * `build --refresh` on periods whose config names local files says it reads them again, not that it asks a
 * server (there is none).
 */
import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { oapsWorkspace, runCli } from './cli-rig.ts';

let ws: string | undefined;
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('--refresh on local files names what it does', async () => {
  ws = await oapsWorkspace('refresh-local-');
  expect((await runCli(['build', '-C', ws, 'oaps/*:download'])).code).toBe(0);
  const again = await runCli(['build', '-C', ws, 'oaps/*:download', '--refresh']);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/▸ download oaps\/2016-10 — build --refresh: reading the local file again/);
  expect(again.stdout).not.toContain('asking the server again');
}, 60_000);
