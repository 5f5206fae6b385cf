/**
 * On a terminal the build shows one listr2 task per publication (plus tables): a task that failed names its
 * failed targets, and each failure's message and hint are printed once, on stderr, however many targets
 * one cause failed (here a database nobody listens on).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { unreachableDatabaseUrl } from '../rig/db.ts';
import { oapsWorkspace } from './cli-rig.ts';
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('progress on a terminal', () => {
  let ws: string;
  let url: string;
  beforeAll(async () => {
    url = await unreachableDatabaseUrl();
    ws = await oapsWorkspace('tty-');
  });
  afterAll(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('names the failed targets per task and prints the shared cause once', async () => {
    let out = '';
    let err = '';
    let shown = '';
    // listr2 draws on the process's own streams.
    const capture = (chunk: string | Uint8Array) => ((shown += String(chunk)), true);
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
    let code: number;
    try {
      code = await main(['build', '-C', ws], {
        stdout: { write: (s: string) => ((out += s), true), isTTY: true, columns: 100 },
        stderr: { write: (s: string) => ((err += s), true), isTTY: true },
        env: { DATABASE_URL: url, NO_COLOR: '1' },
        cwd: process.cwd(),
        now: () => new Date(),
        signal: new AbortController().signal,
      } as never);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(code).toBe(1);
    expect(plain(shown)).toContain('oaps [10/10]: 8 built, 2 failed');
    expect(plain(shown)).toContain('tables [2/2]: 0 built, 2 failed');
    expect(plain(shown)).toMatch(/loaded oaps\/2016-10, loaded oaps\/2016-12/);
    expect(plain(shown)).toMatch(/catalog all, parquet oaps\/oaps_open_data/);
    expect(plain(shown)).not.toContain('Could not connect'); // the messages are on stderr, once
    expect(plain(err).split('Could not connect to PostgreSQL').length - 1).toBe(1);
    // The first target to fail (either period: they load side by side) carries the message; the others point to it.
    const first = /✖ (loaded oaps\/2016-1[02]) failed:/.exec(plain(err))?.[1];
    expect(first).toBeDefined();
    expect(plain(err).split(`the same error as ${first}`).length - 1).toBe(3);
    expect(out).toMatch(/^built 8, up to date 0, failed 4, skipped 0/);
  });
});
