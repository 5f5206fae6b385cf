/**
 * Plain output keeps speaking while one step holds the main thread: SheetJS parses the 4 MB RTT provider workbook
 * synchronously for seconds, which silences any timer on that thread; the heartbeat's own thread
 * (lib/stall-watch.ts) says what runs and for how long, and the build's own lines go on around it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli } from './cli-rig.ts';

const WORKBOOK = join(import.meta.dirname, '../fixtures/nhs-samples/rtt-waiting-times/NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx');
let ws: string;
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'heartbeat-'));
  await mkdir(join(ws, 'config'));
  await writeFile(join(ws, 'config/publications.yaml'), `publications:\n  rtt:\n    name: RTT non-admitted\n    periods:\n      - period: 2025-09\n        url: "${WORKBOOK}"\n`);
});
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('a heartbeat line comes while the workbook is parsed on the main thread, between the draft starting and ending', async () => {
  const p = startCli(['build', '-C', ws, 'rtt/2025-09:draft'], { NHS_PIPELINE_HEARTBEAT: '0.5' });
  expect(await p.code, p.stderr()).toBe(0);
  const lines = p.stdout().split('\n');
  const start = lines.findIndex((l) => /▸ draft rtt\/2025-09/.test(l));
  const end = lines.findIndex((l) => /✔ draft rtt\/2025-09/.test(l));
  const busy = lines.findIndex((l) => /^\d\d:\d\d:\d\d … still running: draft rtt\/2025-09 \(busy in one step for \d+ s\)$/.test(l));
  expect(start, p.stdout()).toBeGreaterThanOrEqual(0);
  expect(busy, p.stdout()).toBeGreaterThan(start);
  expect(busy).toBeLessThan(end);
}, 120_000);
