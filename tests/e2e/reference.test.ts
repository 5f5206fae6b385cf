/**
 * The naming reference is the previous configured period, so which period that is must be an input: adding an
 * earlier period renames nothing differently from a fresh build of the same config.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function workspace(periods: [string, string][]): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), 'ref-'));
  dirs.push(ws);
  await mkdir(join(ws, 'config'));
  await mkdir(join(ws, 'files'));
  // Same table, files named differently: the name comes from the earliest period, later ones keep it by reference.
  await cp(join(OAPS, 'oaps-open-data-dec-2016.csv'), join(ws, 'files/mental-health-placements-dec-2016.csv'));
  await cp(join(OAPS, 'oaps-open-data-dec-2016.csv'), join(ws, 'files/placements-jan.csv'));
  await cp(join(OAPS, 'oaps-open-data-dec-2016.csv'), join(ws, 'files/placements-feb.csv'));
  await config(ws, periods);
  return ws;
}
const config = (ws: string, periods: [string, string][]) =>
  writeFile(join(ws, 'config/publications.yaml'), `publications:\n  demo:\n    name: Demo\n    periods:\n${periods.map(([p, f]) => `      - period: ${p}\n        url: ../files/${f}`).join('\n')}\n`);
const tables = async (ws: string, period: string) =>
  (parse(await readFile(join(ws, 'manifests/canonical/demo', `${period}.yaml`), 'utf8')).tables as { table: string }[]).map((t) => t.table);

describe('naming reference', () => {
  it('an earlier period added later gives the same names as a fresh build', async () => {
    const later: [string, string][] = [['2017-01', 'placements-jan.csv'], ['2017-02', 'placements-feb.csv']];
    const all: [string, string][] = [['2016-12', 'mental-health-placements-dec-2016.csv'], ...later];
    const incremental = await workspace(later);
    expect((await runCli(['build', 'demo:canonical', '-C', incremental], {})).code).toBe(0);
    expect(await tables(incremental, '2017-01')).toEqual(['demo_placements']);
    await config(incremental, all);
    const res = await runCli(['build', 'demo:canonical', '-C', incremental, '--json'], {});
    expect(res.code).toBe(0);
    const start = res.events.find((e) => e.event === 'target-start' && e.key === 'enriched:demo/2017-01');
    expect(start).toMatchObject({ reason: { kind: 'input-changed', input: 'config:demo/2017-01#previous' } });

    const fresh = await workspace(all);
    expect((await runCli(['build', 'demo:canonical', '-C', fresh], {})).code).toBe(0);
    for (const [p] of all) expect(await tables(incremental, p)).toEqual(await tables(fresh, p));
    expect(await tables(fresh, '2017-02')).toEqual(['demo_mental_health_placements']);
  });
});
