/**
 * Identity across periods, through the real chain up to the canonical manifest: the same table in two
 * periods gets the same name (so it lands in the same database table), and the columns a later edition
 * added are recorded as drift. Expected names of added columns come from reading the files' header
 * rows (RTT Jul23 row 11, OAPs/PROMs header lines), listed here by source column or header.
 */
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, summary } from '../e2e/cli-rig.ts';
import { GROUPS, makeWorkspace, manifest, samplePath, type Draft, type Enriched } from './helpers.ts';

let ws: string;

/** Builds one publication up to its canonical manifests and returns each period's enriched body. */
async function chain(pub: keyof typeof GROUPS | 'oaps_mislabelled'): Promise<Enriched[]> {
  const res = await runCli(['build', `${pub}:canonical`, '-C', ws, '--json']);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(summary(res).failed).toBe(0);
  const periods = pub === 'oaps_mislabelled' ? ['2016-11'] : Object.values(GROUPS[pub]);
  return Promise.all(periods.map((p) => manifest<Enriched>(ws, 'enriched', pub, p)));
}

const names = (e: Enriched) => e.tables.map((t) => t.name);

beforeAll(async () => {
  ws = await makeWorkspace('chain');
  // The October 2016 OAPs file configured as November 2016: the period disagrees with the file's.
  await appendFile(
    join(ws, 'config/publications.yaml'),
    ['  oaps_mislabelled:', '    name: OAPs configured under the wrong month', '    periods:', '      - period: 2016-11', `        url: ${JSON.stringify(samplePath('oaps', 'oaps-open-data-oct-2016.csv'))}`, ''].join('\n'),
  );
});
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

describe('the same table in several periods has one identity', () => {
  it('A&E January 2024, March 2024 and March 2026 (-F5ldj2) give the same three tables, no drift', async () => {
    const [jan24, mar24, mar26] = await chain('ae');
    expect(names(jan24)).toEqual(['ae_activity', 'ae_performance', 'ae_booking']);
    expect(names(mar24)).toEqual(names(jan24));
    expect(names(mar26)).toEqual(names(jan24));
    expect(mar26.tables.map((t) => t.drift)).toEqual([undefined, undefined, undefined]);
    // The random upload id never reaches a name.
    expect(mar26.tables.every((t) => !/f5ldj2/i.test(t.identity.derived_name))).toBe(true);
    expect(mar26.tables.map((t) => t.row_count)).toEqual([188, 185, 68]);
    // The draft reads each edition's period from inside the file: the open metadata range ("August 2010 - present") and the Period column's last month.
    const draft = await manifest<Draft>(ws, 'draft', 'ae', '2026-03');
    expect(draft.files[0].tables[0].period).toMatchObject({ label: '2026-03', source: 'column', from: '2010-08' });
    expect(draft.files[0].tables.flatMap((t) => t.warnings)).toEqual([]);
  });

  it('RTT overview Jun22 and Jul23: one table although the header moved down a row and grew from 25 to 37 columns', async () => {
    const [jun22, jul23] = await chain('rtt');
    expect(names(jun22)).toEqual(['rtt_overview_timeseries']);
    expect(names(jul23)).toEqual(names(jun22));
    const t = jul23.tables[0];
    // Leaf header cells: 25 in Jun22 (D10:AC10), 37 in Jul23 (D11:AO11), plus Year and Month.
    expect([jun22.tables[0].columns.length, t.columns.length]).toEqual([27, 39]);
    // The 12 new leaf cells of Jul23 row 11: G J L N O P Q S U AA AG AI.
    const bySource = new Map(t.columns.map((c) => [c.name, c.source_column]));
    expect(t.drift?.reference_period).toBe('2022-06');
    expect(t.drift?.removed).toEqual([]);
    expect(t.drift?.added.map((n) => bySource.get(n))).toEqual(['G', 'J', 'L', 'N', 'O', 'P', 'Q', 'S', 'U', 'AA', 'AG', 'AI']);
    expect(t.columns.find((c) => c.source_column === 'N')?.header).toBe('Incomplete RTT pathways - No. > 65 weeks');
    const draft = await manifest<Draft>(ws, 'draft', 'rtt', '2023-07');
    expect(draft.files[0].tables[0].period).toEqual({ label: '2023-07', source: 'metadata', text: 'April 2007 to July 2023', from: '2007-04' });
  });

  it('Out of Area Placements Oct16, Dec16, Feb17 (6 → 8 → 10 columns): one table, each addition recorded', async () => {
    const [oct, dec, feb] = await chain('oaps');
    expect(names(oct)).toEqual(['oaps_open_data']);
    expect(names(dec)).toEqual(names(oct));
    expect(names(feb)).toEqual(names(oct));
    const header = (e: Enriched, added: string[]) => added.map((n) => e.tables[0].columns.find((c) => c.name === n)?.header);
    expect(header(dec, dec.tables[0].drift!.added)).toEqual(['Breakdown1Description', 'Breakdown2Description']);
    expect(header(feb, feb.tables[0].drift!.added)).toEqual(['PublicationDate', 'PublicationPeriod']);
    expect([dec.tables[0].drift!.removed, feb.tables[0].drift!.removed]).toEqual([[], []]);
    // Feb 2017 says its own period in the PublicationPeriod column ("2017/02"); the others only in their names.
    const periods = await Promise.all(['2016-10', '2017-02'].map((p) => manifest<Draft>(ws, 'draft', 'oaps', p)));
    expect(periods.map((d) => d.files[0].tables[0].period)).toEqual([
      { label: '2016-10', source: 'name', text: 'oaps-open-data-oct-2016.csv' },
      { label: '2017-02', source: 'column', text: 'column "PublicationPeriod" 2017-02-01..2017-02-01' },
    ]);
  });

  it('PROMs "Time Series 1718.csv" and "Time Series Hip and Knee Replacement 1819.csv": one table, kept by reference', async () => {
    const [y1718, y1819] = await chain('proms');
    expect(names(y1718)).toEqual(['proms_time_series']);
    expect(names(y1819)).toEqual(['proms_time_series']);
    // The 1819 name alone derives another table; its columns match the 1718 table's, so it keeps that name.
    expect(y1819.tables[0].identity).toMatchObject({ method: 'reference', derived_name: 'proms_time_series_hip_and_knee_replacement', reference_period: 'FY2017-18' });
    expect(y1819.tables[0].drift?.added.map((n) => y1819.tables[0].columns.find((c) => c.name === n)?.header)).toEqual(['Modelled_Records_2018', 'Adjusted_Health_Gain_2018', 'Outlier_2018']);
  });

  it('a configured period that disagrees with the file is a warning in the draft manifest, not a failure', async () => {
    await chain('oaps_mislabelled');
    const draft = await manifest<Draft>(ws, 'draft', 'oaps_mislabelled', '2016-11');
    const t = draft.files[0].tables[0];
    expect(t.period).toMatchObject({ label: '2016-10', source: 'name' });
    expect(t.warnings).toEqual([
      'period: the file is about 2016-10 (from its name: oaps-open-data-oct-2016.csv) but the config calls this period 2016-11; check that the period\'s url in the config points at the right release',
    ]);
  });
});
