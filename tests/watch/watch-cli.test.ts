/**
 * `pipeline.ts watch` end to end, in-process through `main()`, on a temp workspace whose config points at
 * real NHS CSVs (Out of Area Placements, first 300 rows of each) by local path: what each save builds.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvDataRows, ran, readParquet, runCli } from '../e2e/cli-rig.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { cycleDone, cycleEvents, editCsvValue, ranIn, saveByRename, startWatch, type WatchRun } from './watch-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
const FILES = { '2016-10': 'oaps-open-data-oct-2016.csv', '2016-12': 'oaps-open-data-dec-2016.csv', '2017-02': 'oaps-open-data-feb-2017.csv' } as const;
type Label = keyof typeof FILES;
/** How long "nothing happened" is watched for: many debounce periods, one bounded wait per claim. */
const QUIET_MS = 1500;

/** The targets that building one new period runs: its whole chain, then the table's Parquet and the catalog. */
const chain = (period: string) =>
  ['canonical', 'download', 'draft', 'enriched', 'loaded'].map((s) => `${s}:oaps/${period}`).concat('catalog:all', 'parquet:oaps/oaps_open_data').sort();

describe.each(testBackends())('watch on %s', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  let run: WatchRun;
  const configPath = () => join(ws, 'config/publications.yaml');
  const csv = (p: Label) => join(ws, 'files', FILES[p]);
  const entry = (p: Label) => `      - period: ${p}\n        url: ../files/${FILES[p]}\n`;
  const config = (periods: Label[], comment = '') =>
    `${comment}publications:\n  oaps:\n    name: Out of Area Placements\n    periods:\n${periods.map(entry).join('')}`;
  let cycle = 1;
  /** Saves, then waits for the cycle that save starts, and returns its events. */
  const nextCycle = async () => cycleDone(run, ++cycle);

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `watch-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'files'), { recursive: true });
    for (const [, name] of Object.entries(FILES)) {
      const lines = (await readFile(join(OAPS, name), 'utf8')).split('\n');
      await writeFile(join(ws, 'files', name), lines.slice(0, 301).join('\n') + '\n');
    }
    await saveByRename(configPath(), config(['2016-10']));
    run = startWatch(['-C', ws, '--debounce', '50'], env);
  });
  afterAll(async () => {
    if (run) await run.stop();
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('builds once at start, watching the config and the local file it names; a quiet period later nothing has rebuilt itself', async () => {
    const first = await cycleDone(run, 1);
    expect(run.events[0]).toEqual({ event: 'watching', files: ['config/publications.yaml', 'files/oaps-open-data-oct-2016.csv'], debounceMs: 50, time: expect.any(String) });
    expect(first[0]).toMatchObject({ event: 'watch-cycle', cycle: 1, config: 'initial', build: true });
    expect(ranIn(first)).toEqual(chain('2016-10'));
    expect(first.at(-1)).toMatchObject({ event: 'summary', ran: 7, failed: 0, skipped: 0 });
    const seen = run.events.length;
    // The build wrote manifests, downloads, the database, Parquet and .cache/: none of it is watched.
    await new Promise((r) => setTimeout(r, QUIET_MS));
    expect(run.events.slice(seen)).toEqual([]);
  });

  it('adding a period builds that period (and the table it feeds) and nothing of the other period', async () => {
    await saveByRename(configPath(), config(['2016-10', '2016-12']));
    const events = await nextCycle();
    expect(events[0]).toMatchObject({ changed: ['config/publications.yaml'], config: 'changed', added: ['oaps/2016-12'], removed: [], modified: [], build: true });
    expect(ranIn(events)).toEqual(chain('2016-12'));
    const pq = await readParquet(join(ws, 'output/parquet/oaps_open_data.parquet'));
    expect(pq.numRows).toBe((await csvDataRows(csv('2016-10'))).rows + (await csvDataRows(csv('2016-12'))).rows);
  });

  it('a comment and whitespace edit parses to the same config: nothing is built', async () => {
    await saveByRename(configPath(), config(['2016-10', '2016-12'], '# OAPS, local copies\n\n').replace('periods:', 'periods:   '));
    const events = await nextCycle();
    expect(events).toEqual([{ event: 'watch-cycle', cycle, changed: ['config/publications.yaml'], notifications: expect.any(Number), config: 'same', added: [], removed: [], modified: [], build: false, time: expect.any(String) }]);
  });

  it('a YAML or schema error is printed with file:line:col and watching goes on; fixing it builds what the fix adds', async () => {
    const good = config(['2016-10', '2016-12', '2017-02']);
    const broken = good.replace('      - period: 2017-02\n        url:', '      - period: 2017-02\n       url:');
    await saveByRename(configPath(), broken);
    const bad = await nextCycle();
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ config: 'error', build: false });
    const badLine = broken.split('\n').findIndex((l) => l.startsWith('       url:')) + 1;
    expect(String(bad[0].error)).toMatch(new RegExp(`^${configPath()}:${badLine}:\\d+: error: invalid YAML`));
    expect(run.stderr()).toContain('config/publications.yaml has errors; the last good config stays in force, fix and save again:');

    const typo = good.replace('      - period: 2017-02\n        url:', '      - period: 2017-02\n        ulr:');
    await saveByRename(configPath(), typo);
    const schema = await nextCycle();
    expect(schema).toHaveLength(1);
    const lines = typo.split('\n');
    const line = lines.findIndex((l) => l.includes('ulr:')) + 1;
    const col = lines[line - 1].indexOf('ulr') + 1;
    expect(String(schema[0].error)).toContain(`${configPath()}:${line}:${col}: error: unknown key \`ulr\``);
    expect(String(schema[0].error)).toContain('did you mean `url`?');
    expect(run.stderr()).toContain(`${configPath()}:${line}:${col}: error: unknown key \`ulr\``);

    await saveByRename(configPath(), good);
    const fixed = await nextCycle();
    expect(fixed[0]).toMatchObject({ config: 'changed', added: ['oaps/2017-02'], build: true });
    expect(ranIn(fixed)).toEqual(chain('2017-02'));
  });

  it('two saves during a build give exactly one follow-up build, which takes both changes', async () => {
    const saves: number[] = [];
    const buildStarted = cycle + 1;
    run.onEvent((e) => {
      // The moment the build of the first save starts its first rule, save twice more.
      if (e.event === 'target-start' && saves.length === 0 && run.events.some((x) => x.event === 'watch-cycle' && x.cycle === buildStarted)) {
        saves.push(run.events.length);
        void editCsvValue(csv('2016-12'), 1, '999999')
          .then(() => saveByRename(configPath(), config(['2016-10', '2016-12', '2017-02'], '# saved during a build\n')))
          .then(() => saves.push(run.events.length));
      }
    });
    await editCsvValue(csv('2016-10'), 1, '999999');
    const during = await nextCycle();
    expect(during[0]).toMatchObject({ changed: ['files/oaps-open-data-oct-2016.csv'], config: 'untouched', build: true });
    // Both saves were on disk before the build that was running ended (its summary is the cycle's last line).
    expect(saves).toHaveLength(2);
    expect(saves[1]).toBeLessThan(run.events.indexOf(during.at(-1)!));
    const ranDuring = ranIn(during);
    expect(ranDuring).toContain('loaded:oaps/2016-10');
    // The running build loads nothing of the periods saved meanwhile. (It may bring the December chain up to
    // date as far as its canonical manifest, which describes the table whose Parquet this build rewrites: a
    // declared input of that Parquet file, checked after the save.)
    expect(ranDuring.filter((k) => /^loaded:oaps\/(2016-12|2017-02)/.test(k))).toEqual([]);

    const followUp = await nextCycle();
    expect(followUp[0]).toMatchObject({ changed: ['config/publications.yaml', 'files/oaps-open-data-dec-2016.csv'], config: 'same', build: true });
    const ranAfter = ranIn(followUp);
    expect(ranAfter).toContain('loaded:oaps/2016-12');
    expect(ranAfter.filter((k) => /2016-10|2017-02/.test(k))).toEqual([]);
    const seen = run.events.length;
    await new Promise((r) => setTimeout(r, QUIET_MS));
    expect(run.events.slice(seen)).toEqual([]);
    expect(run.events.filter((e) => e.event === 'watch-cycle')).toHaveLength(cycle);
  });

  it('removing a period deletes nothing: it names what disappeared and how `clean` removes the leftovers', async () => {
    await saveByRename(configPath(), config(['2016-10', '2016-12']));
    const events = await nextCycle();
    expect(events[0]).toMatchObject({ config: 'changed', added: [], removed: ['oaps/2017-02'], build: true });
    // The commands it suggests act on the watched workspace: they carry its -C.
    expect(String(events[0].hint)).toContain(`\`npx tsx pipeline.ts clean -C ${ws} --execute\` removes them`);
    expect(run.stderr()).toContain('note: no longer configured: oaps/2017-02. Nothing was deleted');
    // No period is built. The table's documentation is rewritten from the newest period still configured (its
    // canonical manifest describes the table), with every row it had.
    expect(ranIn(events).filter((k) => !/^(parquet|catalog):/.test(k))).toEqual([]);
    for (const stage of ['download', 'draft', 'enriched', 'canonical']) {
      await expect(readFile(join(ws, 'manifests', stage, 'oaps/2017-02.yaml'), 'utf8')).resolves.toContain('2017-02');
    }
    const pq = await readParquet(join(ws, 'output/parquet/oaps_open_data.parquet'), ['_period']);
    expect(pq.rows.filter((r) => r._period === '2017-02')).toHaveLength((await csvDataRows(csv('2017-02'))).rows);
  });

  it('Ctrl-C during a build stops it (exit 130, nothing half-loaded recorded); the next build finishes the work', async () => {
    run.onEvent((e) => {
      if (e.event === 'target-start' && String(e.key).startsWith('loaded:')) void run.stop();
    });
    await editCsvValue(csv('2016-10'), 2, '888888');
    expect(await run.code).toBe(130);
    const last = run.events.filter((e) => e.event === 'summary').at(-1)!;
    expect(last.cancelled).toBeGreaterThan(0);
    expect(run.events.at(-1)).toMatchObject({ event: 'watch-stopped' });
    const again = await runCli(['build', '-C', ws, '--json'], env);
    expect(again.code).toBe(0);
    expect(ran(again)).toContain('loaded:oaps/2016-10');
  });
});

describe('watch usage', () => {
  it('a config error at start exits 2 with file:line:col; --debounce must be whole milliseconds', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'watch-usage-'));
    try {
      await saveByRename(join(ws, 'config/publications.yaml'), 'publications:\n  oaps:\n    nmae: x\n');
      const bad = startWatch(['-C', ws]);
      expect(await bad.code).toBe(2);
      expect(bad.stderr()).toContain(`${join(ws, 'config/publications.yaml')}:3:5: error: unknown key \`nmae\``);
      const debounce = await runCli(['watch', '-C', ws, '--debounce', 'soon']);
      expect(debounce.code).toBe(2);
      expect(debounce.stderr).toContain('--debounce expects whole milliseconds from 0 to 60000, got "soon"');
      const help = await runCli(['watch', '--help']);
      expect(help.stdout).toContain('Usage: npx tsx pipeline.ts watch [options] [TARGET...]');
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
