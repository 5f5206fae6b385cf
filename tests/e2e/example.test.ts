/**
 * The README's first command on a fresh checkout: `build -C examples/offline` on the bundled real NHS files,
 * with the embedded database. The Parquet it yields is read with DuckDB and hyparquet, and every row count is
 * counted from the source files here, independently of the pipeline.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as XLSX from '@e965/xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { digestOf } from '../../engine/index.ts';
import { csvDataRows, ran, readParquet, runCli } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLES = join(ROOT, 'tests/fixtures/nhs-samples');

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

/** A&E data rows per sheet: rows whose Period cell (column B, wherever the used range starts) is an Excel date serial. */
async function aeRows(file: string, sheet: string): Promise<number> {
  const wb = XLSX.read(await readFile(join(SAMPLES, 'ae-attendances-emergency-admissions', file)), { sheets: [sheet] });
  const ws = wb.Sheets[sheet];
  const range = XLSX.utils.decode_range(ws['!ref']!);
  let n = 0;
  for (let r = range.s.r; r <= range.e.r; r++) {
    const cell = ws[XLSX.utils.encode_cell({ r, c: 1 })];
    if (cell?.t === 'n' && cell.v > 40000 && cell.v < 50000) n++;
  }
  return n;
}

describe('the README\'s first command: build the bundled offline example', () => {
  let repo: string;
  let ws: string;
  beforeAll(async () => {
    // A fresh checkout's layout: examples/offline beside tests/fixtures (which its config points into).
    repo = await mkdtemp(join(tmpdir(), 'example-'));
    await mkdir(join(repo, 'examples'), { recursive: true });
    await cp(join(ROOT, 'examples/offline/config'), join(repo, 'examples/offline/config'), { recursive: true });
    await cp(join(ROOT, 'examples/offline/pages'), join(repo, 'examples/offline/pages'), { recursive: true });
    await symlink(join(ROOT, 'tests'), join(repo, 'tests'));
    ws = join(repo, 'examples/offline');
  });
  afterAll(() => rm(repo, { recursive: true, force: true }));

  it('is the command the README opens with', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const firstBlock = readme.split('```')[1].split('\n').slice(1).filter(Boolean);
    expect(firstBlock[0]).toMatch(/^npm ci && npx tsx pipeline\.ts build -C examples\/offline\s/);
    expect(firstBlock[1]).toMatch(/^npm ci && npm test\s/);
  });

  it('builds every table; DuckDB reads the row counts of the source files, per period', async () => {
    const res = await runCli(['build', '-C', ws, '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const pq = (t: string) => join(ws, 'output/parquet', `${t}.parquet`);
    const perPeriod = async (t: string) =>
      Object.fromEntries((await duck(`SELECT _period, count(*)::INTEGER AS n FROM read_parquet('${pq(t)}') GROUP BY 1 ORDER BY 1`)).map((r) => [r._period, r.n]));

    const oaps = join(SAMPLES, 'out-of-area-placements');
    expect(await perPeriod('oaps_open_data')).toEqual({
      '2016-10': (await csvDataRows(join(oaps, 'oaps-open-data-oct-2016.csv'))).rows,
      '2016-12': (await csvDataRows(join(oaps, 'oaps-open-data-dec-2016.csv'))).rows,
      '2017-02': (await csvDataRows(join(oaps, 'oaps-open-data-feb-2017.csv'))).rows,
    });
    const pcn = join(SAMPLES, 'pcn-workforce');
    const pcnTable = 'pcn_workforce_primary_care_networks_individual_level';
    const march = await csvDataRows(join(pcn, 'Primary Care Networks – March 2020 Individual Level.csv'), 'latin1');
    expect(await perPeriod(pcnTable)).toEqual({
      '2020-03': march.rows,
      '2021-06': (await csvDataRows(join(pcn, 'Primary Care Networks – June 2021 Individual Level.csv'), 'latin1')).rows,
    });
    // Windows-1252 decoded: the en dash of "Clinical Director – Medical" survives into Parquet.
    // Counted on the raw bytes: 0x96 is Windows-1252's en dash.
    const raw = (await readFile(join(pcn, 'Primary Care Networks – March 2020 Individual Level.csv'))).toString('latin1');
    const dashes = raw.split('\n').filter((l) => l.includes('Clinical Director \x96 ')).length;
    expect(dashes).toBeGreaterThan(0);
    const [{ n }] = await duck(`SELECT count(*)::INTEGER AS n FROM read_parquet('${pq(pcnTable)}') WHERE _period = '2020-03' AND detailed_staff_role LIKE 'Clinical Director – %'`);
    expect(n).toBe(dashes);
    const pcnColumns = (await readParquet(pq(pcnTable))).columns;
    for (const h of march.header) expect(pcnColumns).toContain(h.toLowerCase());

    const gp = await csvDataRows(join(SAMPLES, 'gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv'));
    expect(await perPeriod('gp_registered_patients_reg_pat_prac_all')).toEqual({ '2021-01': gp.rows });

    // Legacy .xls: one table per data sheet, the same tables in both editions.
    for (const sheet of ['Activity', 'Performance', 'Booking']) {
      expect(await perPeriod(`ae_attendances_${sheet.toLowerCase()}`)).toEqual({
        '2024-01': await aeRows('Monthly-AE-Time-Series-January-2024.xls', sheet),
        '2024-03': await aeRows('Monthly-AE-Time-Series-March-2024.xls', sheet),
      });
    }
    const catalog = await duck(`SELECT "table", row_count::INTEGER AS rows FROM read_parquet('${join(ws, 'output/catalog.parquet')}') ORDER BY 1`);
    expect(catalog.map((r) => r.table)).toEqual([
      'ae_attendances_activity',
      'ae_attendances_booking',
      'ae_attendances_performance',
      'gp_registered_patients_reg_pat_prac_all',
      'oaps_open_data',
      pcnTable,
    ]);
  });

  it('run again, it does nothing', async () => {
    const res = await runCli(['build', '-C', ws, '--json']);
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual([]);
  });

  it('records a period\'s config as the digest of its url alone when it has no files: (as before files: existed)', async () => {
    // Manifests committed by earlier versions must stay up to date: the recorded config input keeps its form.
    const manifest = parse(await readFile(join(ws, 'manifests/download/oaps/2016-10.yaml'), 'utf8')) as { provenance: { inputs: Record<string, string> } };
    expect(manifest.provenance.inputs['config:oaps/2016-10']).toBe(digestOf({ url: '../../../tests/fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv' }));
  });
});

describe('config errors', () => {
  it('exit 2 with file:line:col and a hint, before anything runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'badcfg-'));
    try {
      await mkdir(join(dir, 'config'));
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'config/publications.yaml'), 'publications:\n  adhd:\n    name: ADHD\n    landing_pgae: https://example.org\n    periods:\n      - period: 2025-13\n        url: https://example.org/x.csv\n');
      const res = await runCli(['build', '-C', dir]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('config/publications.yaml:4:5');
      expect(res.stderr).toContain('landing_page');
      expect(res.stderr).toContain('config/publications.yaml:6:17');
      expect(res.stdout).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
