/**
 * A stage is one place: a new stage is one file (here, this test's `rowcount`: the number of tables and rows
 * each period's canonical manifest describes, as a manifest of its own) plus one entry in the list of stages,
 * and `build`, `status`, `explain` and `clean` all know it without another change.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../rules/index.ts';
import { STAGES } from '../../rules/stages/index.ts';
import type { CanonicalBody } from '../../rules/stages/canonical.ts';
import { manifestOrphans } from '../../rules/stores/manifest-orphans.ts';
import { ManifestStore } from '../../rules/stores/manifest.ts';
import { isConfigured } from '../../rules/workspace.ts';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, ran, runCli } from './cli-rig.ts';

interface RowCount { tables: number; rows: number }

/** The whole new stage. */
const rowcount: Stage<RowCount> = {
  name: 'rowcount',
  version: '1',
  grain: 'period',
  rule(ws) {
    const store = new ManifestStore<RowCount>(ws, 'rowcount');
    return {
      name: 'rowcount',
      version: rowcount.version,
      store: Object.assign(store, { orphans: manifestOrphans(store) }),
      exists: (id) => isConfigured(ws.rawConfig, id),
      staticInputs: (id) => [`canonical:${id}`],
      async run(ctx) {
        const canonical = await ctx.need<CanonicalBody>(`canonical:${ctx.id}`);
        const body = { tables: canonical.tables.length, rows: canonical.tables.reduce((n, t) => n + t.row_count, 0) };
        const { output, value } = await store.write(ctx.id, ctx.provenance(), body);
        return { output, value, summary: `${body.rows} rows` };
      },
    };
  },
};

/** The one line that registers it. */
const stages: readonly Stage[] = [...STAGES, rowcount];

describe('adding a stage', () => {
  let ws: string;
  let db: TestDb;
  const cli = (...args: string[]) => runCli([...args, '-C', ws], {}, undefined, stages);

  beforeAll(async () => {
    ws = await oapsWorkspace('add-stage-');
    db = await makeTestDb('pglite', ws);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('build runs it for every period, after what it needs, and then finds it up to date', async () => {
    const res = await cli('build', '--json');
    expect(res.code).toBe(0);
    expect(ran(res).filter((k) => k.startsWith('rowcount:'))).toEqual(['rowcount:oaps/2016-10', 'rowcount:oaps/2016-12']);
    const manifest = await readFile(join(ws, 'manifests/rowcount/oaps/2016-10.yaml'), 'utf8');
    expect(manifest).toMatch(/tables: 1\nrows: 8424\n/);
    expect(ran(await cli('build', '--json'))).toEqual([]);
    expect(ran(await cli('build', 'oaps/2016-10:rowcount', '--json'))).toEqual([]);
  });

  it('status counts a period built only when its new stage is; explain shows why it would run', async () => {
    await rm(join(ws, 'manifests/rowcount/oaps/2016-12.yaml'));
    const status = await cli('status', '--json');
    const periods = (status.events[0] as { publications: { periods: { period: string; state: string; stale?: { target: string } }[] }[] }).publications[0].periods;
    expect(periods.map((p) => [p.period, p.state, p.stale?.target])).toEqual([['2016-10', 'built', undefined], ['2016-12', 'stale', 'rowcount:oaps/2016-12']]);
    const why = await cli('explain', 'oaps/2016-12:rowcount');
    expect(why.stdout).toContain('rowcount oaps/2016-12: would run — output missing');
    expect(why.stdout).toContain('canonical oaps/2016-12: up to date');
    expect(ran(await cli('build', '--json'))).toEqual(['rowcount:oaps/2016-12']);
  });

  it('clean lists its manifests of a period no longer configured, and removes them', async () => {
    const config = join(ws, 'config/publications.yaml');
    await writeFile(config, (await readFile(config, 'utf8')).replace(/ {6}- period: 2016-12\n.*\n/, ''));
    const dry = await cli('clean', '--json');
    const manifests = (dry.events[0] as { stores: { manifests: { kinds: Record<string, { id: string }[]> } } }).stores.manifests.kinds;
    expect(manifests.rowcount).toEqual([expect.objectContaining({ id: 'manifests/rowcount/oaps/2016-12.yaml' })]);
    expect((await cli('clean', '--execute')).code).toBe(0);
    await expect(readFile(join(ws, 'manifests/rowcount/oaps/2016-12.yaml'))).rejects.toThrow();
    await expect(readFile(join(ws, 'manifests/rowcount/oaps/2016-10.yaml'), 'utf8')).resolves.toContain('rows: 8424');
  });
});
