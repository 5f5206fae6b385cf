/**
 * A DATABASE_URL that is not a URL (issue 14, hole 8) is how the command was called, not what the data is:
 * the loads fail with what is wrong in the URL (never the password), nothing enters the failure ledger,
 * and once the URL is fixed the next build loads without `--retry-failed`.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, ran, runCli } from './cli-rig.ts';

let ws: string | undefined;
let db: TestDb | undefined;
afterEach(async () => {
  await db?.cleanup();
  if (ws) await rm(ws, { recursive: true, force: true });
});

const ledger = async (root: string) => readdir(join(root, 'manifests/failures'), { recursive: true }).catch(() => [] as string[]);

describe('a malformed DATABASE_URL', () => {
  // Other shapes of a bad URL and their messages: tests/db/db.test.ts.
  it.each([['postgres://nhs:s3cret-pw@127.0.0.1:99999/nhs', 'port 99999 is out of range (1–65535)']])('%s: says what is wrong, keeps nothing in the ledger, loads once fixed', async (url, problem) => {
    ws = await oapsWorkspace('bad-url-');
    db = await makeTestDb('pglite', ws); // the embedded database the fixed build uses, from the template
    const res = await runCli(['build', '-C', ws, '--json'], { DATABASE_URL: url });
    expect(res.code).toBe(1);
    const failed = res.events.filter((e) => e.event === 'target-end' && e.outcome === 'failed');
    expect(failed.map((e) => e.key).sort()).toEqual(['catalog:all', 'loaded:oaps/2016-10', 'loaded:oaps/2016-12', 'parquet:oaps/oaps_open_data']);
    for (const e of failed) {
      expect(e.error).toMatchObject({ kind: 'usage', transient: true, message: `DATABASE_URL is not a usable PostgreSQL URL: ${problem}` });
    }
    expect(res.stdout).not.toContain('s3cret-pw');
    expect(await ledger(ws)).toEqual([]);
    // Fixed (here: unset, for the embedded database): everything that waited loads, no --retry-failed needed.
    const fixed = await runCli(['build', '-C', ws, '--json']);
    expect(fixed.code).toBe(0);
    expect(ran(fixed)).toEqual(['catalog:all', 'loaded:oaps/2016-10', 'loaded:oaps/2016-12', 'parquet:oaps/oaps_open_data']);
  });
});
