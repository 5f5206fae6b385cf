/**
 * Names and descriptions on every sample file (issue 11): what an analyst types and reads. Each file goes through
 * the sheets library, the draft and the enriched stage's functions, as a build would take it.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { draftFile } from '../../rules/stages/draft.ts';
import { enrich, type EnrichedBody } from '../../rules/stages/enriched/index.ts';

const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'nhs-samples');
const FILES = (readdirSync(SAMPLES, { recursive: true }) as string[]).filter((f) => /\.(csv|xlsx?|ods)$/i.test(f)).sort();
/** Publication codes as a user would configure them. */
const PUBLICATION: Record<string, string> = {
  'ae-attendances-emergency-admissions': 'ae_attendances',
  'ccg-outcomes-indicator-set': 'ccg_outcomes',
  'gp-appointments': 'gp_appointments',
  'gp-earnings-expenses': 'gp_earnings',
  'gp-patients-registered': 'gp_registered_patients',
  'out-of-area-placements': 'oaps',
  'pcn-workforce': 'pcn_workforce',
  proms: 'proms',
  'rtt-waiting-times': 'rtt',
};

const enriched = new Map<string, Promise<EnrichedBody>>();
function enrichedOf(rel: string): Promise<EnrichedBody> {
  if (!enriched.has(rel)) {
    enriched.set(rel, (async () => {
      const path = join(SAMPLES, rel);
      const ex = await describeFile({ path, name: basename(rel) });
      const file = draftFile({ url: `https://example.org/${basename(rel)}`, name: basename(rel), sha256: 'x', size: 1 }, ex, {});
      return enrich({ publication: PUBLICATION[rel.split('/')[0]], period: '2024-01', files: [file] });
    })());
  }
  return enriched.get(rel)!;
}

/** Tokens of a file name that are ids or stems, never words an analyst would use: `gpearnextime`, `i00754`, `87700`. */
function fileIds(rel: string): string[] {
  return basename(rel).replace(/\.[^.]+$/, '').toLowerCase().split(/[^a-z0-9]+/).filter((w) => /\d/.test(w) && /[a-z]/.test(w) || /^\d{5,}$/.test(w) || w === 'gpearnextime');
}

describe.each(FILES)('%s', (rel) => {
  it('names tables and columns readably: valid, unique, within 63 bytes, no hash, no file id', async () => {
    const body = await enrichedOf(rel);
    expect(body.tables.length).toBeGreaterThan(0);
    const ids = fileIds(rel).filter((w) => !/^(19|20)\d{2}$/.test(w));
    const tableNames = body.tables.map((t) => t.name);
    expect(new Set(tableNames).size).toBe(tableNames.length);
    for (const t of body.tables) {
      const names = [t.name, ...t.columns.map((c) => c.name)];
      for (const n of names) {
        expect(n, `${t.name}: ${n}`).toMatch(/^[a-z_][a-z0-9_]*$/);
        expect(Buffer.byteLength(n), n).toBeLessThanOrEqual(63);
        expect(n, `${n} has a hash suffix`).not.toMatch(/_[0-9a-f]{6,}$/);
        for (const id of ids) expect(n, `${n} carries the file id ${id}`).not.toContain(id);
      }
      expect(new Set(t.columns.map((c) => c.name)).size, t.name).toBe(t.columns.length);
    }
  });

  it('describes every table and column in words beyond the bare header', async () => {
    const body = await enrichedOf(rel);
    for (const t of body.tables) {
      expect(t.description, t.name).not.toMatch(/^From .*\.$/);
      expect(t.description.length, t.name).toBeGreaterThan(10);
      for (const c of t.columns) expect(c.description, `${t.name}.${c.name}`).not.toMatch(/^Published as/);
    }
  });
});

describe('distinctions kept', () => {
  it('A&E: ≤ 4 h and > 4 h, and Type 1, 2 and 3 departments, stay apart', async () => {
    const body = await enrichedOf('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2024.xls');
    const booking = body.tables.find((t) => t.source.sheet === 'Booking')!.columns.map((c) => c.name);
    expect(booking.filter((n) => /_le_4_hours/.test(n))).toHaveLength(4);
    expect(booking.filter((n) => /_gt_4_hours/.test(n))).toHaveLength(4);
    const performance = body.tables.find((t) => t.source.sheet === 'Performance')!.columns.map((c) => c.name);
    for (const op of ['lt', 'gt']) for (const type of ['1', '2', '3']) expect(performance.some((n) => n.includes(`_${op}_4_hours`) && n.includes(`${type}_depts`)), `${op} type ${type}`).toBe(true);
  });

  it('RTT: "No. > 18 weeks" keeps its operator, the 92nd percentile keeps "incomplete"', async () => {
    const body = await enrichedOf('rtt-waiting-times/rtt-data_RTT-Overview-Timeseries-Jul23.xlsx');
    const names = body.tables[0].columns.map((c) => c.name);
    expect(names).toContain('incomplete_rtt_pathways_no_gt_18_weeks');
    expect(names).toContain('incomplete_rtt_pathways_no_within_18_weeks');
    expect(names).toContain('incomplete_rtt_pathways_92nd_percentile_weeks');
  });

  it('GP earnings: summary tables by their table number and title, never the file stem; England and Scotland apart', async () => {
    const body = await enrichedOf('gp-earnings-expenses/gpearnextime_202223.xlsx');
    const names = body.tables.map((t) => t.name);
    expect(names.some((n) => n.startsWith('gp_earnings_e1_'))).toBe(true);
    expect(names.some((n) => n.startsWith('gp_earnings_s1_'))).toBe(true);
    expect(names.every((n) => !n.includes('gpearnextime'))).toBe(true);
  });
});

describe('descriptions from the publication itself', () => {
  it('GP earnings: [note N] in a header is resolved from the Notes sheet; a table is described by its title and contents line', async () => {
    const body = await enrichedOf('gp-earnings-expenses/gpearnextime_202223.xlsx');
    const e1 = body.tables.find((t) => t.name.startsWith('gp_earnings_e1_'))!;
    expect(e1.columns.find((c) => c.name === 'contract_type')!.description).toContain('Note 28: GPMS results are those of GMS and PMS GPs together.');
    expect(e1.columns.find((c) => c.name === 'report_population')!.description).toBe('Report Population. Note 29: Report population figures are by headcount.');
    expect(e1.description).toMatch(/^Table E1- GPMS contractor GPs - average earnings and expenses by contract type\. Summary results for England 2022\/23 data\. One row per contract type and year\./);
    const six = body.tables.find((t) => t.source.sheet === '6. Contractor Distribution')!;
    expect(six.description).toMatch(/^Contractor GP Distribution of Self Employment Gross Earnings/);
    expect(six.description).toContain('Distribution of gross earnings, expenses and income before tax for contractor GPs by contract type');
  });

  it('A&E: the notes nothing refers to are about every table of the workbook', async () => {
    const body = await enrichedOf('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2024.xls');
    for (const t of body.tables) expect(t.description).toContain('(1) Figures from Nov 2010 to May 2015 have been estimated');
  });

  it('says what a row is and that totals are flagged', async () => {
    const rtt = await enrichedOf('rtt-waiting-times/NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx');
    expect(rtt.tables[0].description).toContain('One row per region, provider and treatment function.');
    expect(rtt.tables[0].description).toContain('sum only detail rows');
    const gp = await enrichedOf('gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv');
    expect(gp.tables[0].description).toContain('One row per CCG, ONS CCG, code and postcode.');
  });
});
