/**
 * `explain --json` carries what its text shows: for an up-to-date target, each input checked with its digest;
 * for one that would run, the reason as text beside the reason's fields.
 */
import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { oapsWorkspace, runCli } from './cli-rig.ts';

let ws: string | undefined;
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('the inputs of an up-to-date target and the reason of one that would run', async () => {
  ws = await oapsWorkspace('explain-json-');
  const before = await runCli(['explain', '-C', ws, 'oaps/2016-10:download', '--json']);
  const pending = before.events[0].targets as { key: string; outcome: string; reasonText?: string }[];
  expect(pending[0]).toMatchObject({ key: 'download:oaps/2016-10', outcome: 'would-run', reasonText: 'output missing (never built)' });

  expect((await runCli(['build', '-C', ws, 'oaps/2016-10:download'])).code).toBe(0);
  const text = (await runCli(['explain', '-C', ws, 'oaps/2016-10:download'])).stdout;
  const shown = [...text.matchAll(/input (\S+) = ([0-9a-f]{12}) \(unchanged\)/g)].map((m) => [m[1], m[2]]);
  expect(shown.length).toBeGreaterThan(0);
  const json = await runCli(['explain', '-C', ws, 'oaps/2016-10:download', '--json']);
  const inputs = (json.events[0].targets as { record: { inputs: Record<string, string> } }[])[0].record.inputs;
  for (const [key, prefix] of shown) expect(inputs[key]?.slice(0, 12)).toBe(prefix);
}, 60_000);
