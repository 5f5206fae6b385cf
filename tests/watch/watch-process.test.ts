/**
 * `pipeline.ts watch` as a real process with plain output: the one-line summary after each build, what a
 * save is said to change, a real Ctrl-C (SIGINT) ending it with exit 130, `status` and `build -n` answering at
 * once while it runs, and a `build` started meanwhile waiting for the watch's workspace lock instead of racing it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { startCli } from '../e2e/cli-rig.ts';
import { saveByRename } from './watch-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const CSV = 'oaps-open-data-oct-2016.csv';

describe.each(testBackends())('watch as a process (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `watch-proc-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'files'), { recursive: true });
    const lines = (await readFile(join(ROOT, 'tests/fixtures/nhs-samples/out-of-area-placements', CSV), 'utf8')).split('\n');
    await writeFile(join(ws, 'files', CSV), lines.slice(0, 201).join('\n') + '\n');
    await saveByRename(join(ws, 'config/publications.yaml'), `publications:\n  oaps:\n    name: OAPS\n    periods:\n      - period: 2016-10\n        url: ../files/${CSV}\n`);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('prints one summary line per build, says what a save changed, holds the lock, and stops on Ctrl-C with 130', async () => {
    const w = startCli(['watch', '-C', ws], env);
    await w.until(/^built 7, up to date 0, failed 0, skipped 0 \(\d+\.\ds\)$/m, w.stdout);
    expect(w.stdout()).toMatch(/^\d\d:\d\d:\d\d Watching config\/publications\.yaml, files\/oaps-open-data-oct-2016\.csv: each save builds what it made stale \(debounce 100 ms\)\. Ctrl-C to stop\.$/m);

    // Readers answer at once while the watch holds the workspace (and, embedded, the database), and say so.
    for (const args of [['status'], ['build', '-n']]) {
      const reader = startCli([...args, '-C', ws], env);
      expect(await reader.code).toBe(0);
      expect(reader.stdout() + reader.stderr()).toMatch(/a watch is in progress in this workspace \(pid \d+/);
      expect(reader.stderr()).not.toContain('Waiting');
      expect(reader.stdout(), reader.stderr()).toMatch(args[0] === 'status' ? /1\/1 periods built/ : /Nothing to do/);
    }

    // A build started meanwhile waits for the watch, saying who holds the workspace.
    const other = startCli(['build', '-C', ws], env);
    await other.until(/Waiting for another watch in this workspace \(pid \d+/, other.stderr);

    await saveByRename(join(ws, 'config/publications.yaml'), `# edited\npublications:\n  oaps:\n    name: OAPS\n    periods:\n      - period: 2016-10\n        url: ../files/${CSV}\n`);
    await w.until(/config\/publications\.yaml saved: same meaning as before \(comments or whitespace\) — nothing to build$/m, w.stdout);

    w.kill('SIGINT');
    expect(await w.code).toBe(130);
    expect(w.stdout()).toMatch(/Stopped watching after 2 cycles\.$/m);
    // The lock is released: the waiting build goes on, and finds nothing to do.
    expect(await other.code).toBe(0);
    expect(other.stdout()).toMatch(/^Nothing to do: built 0, up to date 7/m);
  });
});
