/**
 * `sql` (issue 13): SQL on the workspace's database, on both backends, as a table, CSV or JSON; read-only unless
 * --write; statements from stdin (a pipe, or a prompt on a terminal); and a clear answer while a build has the
 * embedded database open.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { acquireLock } from '../../lib/lock.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { csvDataRows, oapsWorkspace, runCli, startCli } from './cli-rig.ts';

/** The CLI in-process with `input` on stdin (a terminal when `tty`). */
async function withStdin(args: string[], env: Record<string, string | undefined>, input: string[], tty: boolean) {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(Readable.from(input), { isTTY: tty });
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: { CI: 'true', ...env },
    cwd: process.cwd(),
    now: () => new Date(),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe.each(testBackends())('sql (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  let rows: Record<string, number>;
  beforeAll(async () => {
    ws = await oapsWorkspace(`sql-${backend}-`);
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    const res = await runCli(['build', '-C', ws, 'oaps/*:loaded'], env);
    expect(res.code, res.stderr).toBe(0);
    const fixtures = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
    rows = {
      '2016-10': (await csvDataRows(join(fixtures, 'oaps-open-data-oct-2016.csv'))).rows,
      '2016-12': (await csvDataRows(join(fixtures, 'oaps-open-data-dec-2016.csv'))).rows,
    };
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  const COUNT = 'SELECT _period, count(*) AS n FROM staging.oaps_open_data GROUP BY 1 ORDER BY 1';

  it('prints an aligned table with the row count; numbers right-aligned', async () => {
    const res = await runCli(['sql', '-C', ws, COUNT], env);
    expect(res.code, res.stderr).toBe(0);
    const w = Math.max(1, String(rows['2016-10']).length, String(rows['2016-12']).length);
    expect(res.stdout).toBe(
      [`_period | n`, `--------+-${'-'.repeat(w)}`, `2016-10 | ${String(rows['2016-10']).padStart(w)}`, `2016-12 | ${String(rows['2016-12']).padStart(w)}`, '(2 rows)', ''].join('\n'),
    );
  });

  it('--csv and --json give the same rows; columns keep their order and duplicate names', async () => {
    const csv = await runCli(['sql', '--csv', '-C', ws, `${COUNT}; SELECT 1 AS a, 'x,"y"' AS a, NULL AS z`], env);
    expect(csv.stdout).toBe(`_period,n\n2016-10,${rows['2016-10']}\n2016-12,${rows['2016-12']}\na,a,z\n1,"x,""y""",\n`);
    const json = await runCli(['sql', '--json', '-C', ws, COUNT], env);
    expect(json.events).toMatchObject([{ event: 'rows', columns: ['_period', 'n'], rows: [['2016-10', rows['2016-10']], ['2016-12', rows['2016-12']]], rowCount: 2 }]);
    expect(typeof json.events[0].time).toBe('string');
  });

  it('is read-only unless --write, and says how to write', async () => {
    const refused = await runCli(['sql', '-C', ws, "DELETE FROM staging.oaps_open_data WHERE _period = '2016-10'"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('read-only transaction');
    expect(refused.stderr).toContain('add --write');
    const still = await runCli(['sql', '--csv', '-C', ws, 'SELECT count(*) AS n FROM staging.oaps_open_data'], env);
    expect(still.stdout).toBe(`n\n${rows['2016-10'] + rows['2016-12']}\n`);
    const made = await runCli(['sql', '--write', '-C', ws, 'CREATE TABLE public.my_notes (a int); INSERT INTO public.my_notes VALUES (1), (2)'], env);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe('(0 rows changed)\n\n(2 rows changed)\n');
    const read = await runCli(['sql', '--csv', '-C', ws, 'SELECT sum(a) AS s FROM public.my_notes'], env);
    expect(read.stdout).toBe('s\n3\n');
    expect((await runCli(['sql', '--write', '-C', ws, 'DROP TABLE public.my_notes'], env)).code).toBe(0);
  });

  it('a statement the database refuses: exit 1 with its message', async () => {
    const res = await runCli(['sql', '-C', ws, 'SELECT * FROM staging.no_such_table'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/relation "staging.no_such_table" does not exist/);
  });

  it('reads statements from a pipe; on a terminal, prompts and runs each statement when a line ends it', async () => {
    const piped = await withStdin(['sql', '--csv', '-C', ws], env, ["SELECT 'a;b' AS x;\n-- a comment\nSELECT 2 AS y;\n"], false);
    expect(piped).toMatchObject({ code: 0, stdout: 'x\na;b\ny\n2\n' });
    const prompt = await withStdin(['sql', '--csv', '-C', ws], env, ['SELECT 1 AS a;\n', 'SELECT\n', '2 AS b;\n', 'SELECT * FROM nope;\n', 'SELECT 3 AS c;\n'], true);
    expect(prompt.code).toBe(0);
    expect(prompt.stdout).toBe('a\n1\nb\n2\nc\n3\n');
    expect(prompt.stderr).toContain('sql> ');
    expect(prompt.stderr).toMatch(/error: relation "nope" does not exist/);
  });

  it('without a statement and without stdin: a usage error', async () => {
    const res = await runCli(['sql', '-C', ws], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('sql needs a statement');
  });

  it.runIf(backend === 'pglite')('while a build has the embedded database open, says so and stops', async () => {
    // This test process plays a running build; the CLI runs as a real process, which the lock tells apart from it.
    const me = { pid: process.pid, since: new Date().toISOString(), command: 'build' };
    const opts = { signal: new AbortController().signal, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    const held = [await acquireLock(join(ws, '.cache/build.lock'), me, opts), await acquireLock(join(ws, '.cache/db.lock'), me, opts)];
    try {
      const res = startCli(['sql', '-C', ws, 'SELECT 1'], env);
      expect(await res.code).toBe(1);
      expect(res.stderr()).toContain(`a build is running in this workspace (pid ${process.pid}`);
      expect(res.stderr()).toContain('run sql again when it has finished');
      expect(res.stdout()).toBe('');
    } finally {
      for (const h of held) await h.release();
    }
  });
});
