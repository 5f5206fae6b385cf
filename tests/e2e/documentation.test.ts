/**
 * Where a user looks for what a table is (issue 11): the Markdown sidecar covers every period (markers counted over
 * all of them, each column's periods and source headers), the Parquet footer carries each column's description,
 * the column catalog lists every column of every table, and the database itself has COMMENTs, on both backends.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { readParquetInfo } from '../../lib/parquet/index.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { readParquet, runCli } from './cli-rig.ts';

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');

describe.each(testBackends())('table documentation (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `docs-${backend}-`));
    await mkdir(join(ws, 'config'));
    const oaps = (f: string) => join(SAMPLES, 'out-of-area-placements', f);
    await writeFile(
      join(ws, 'config/publications.yaml'),
      ['publications:',
        '  oaps:', '    name: Out of Area Placements', '    periods:',
        `      - period: 2016-10\n        url: "${oaps('oaps-open-data-oct-2016.csv')}"`,
        `      - period: 2016-12\n        url: "${oaps('oaps-open-data-dec-2016.csv')}"`,
        `      - period: 2017-02\n        url: "${oaps('oaps-open-data-feb-2017.csv')}"`,
        '  gp_earnings:', '    name: GP Earnings and Expenses Estimates', '    periods:',
        `      - period: FY2022-23\n        url: "${join(SAMPLES, 'gp-earnings-expenses/gpearnextime_202223.xlsx')}"`,
      ].join('\n') + '\n',
    );
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('the .md of a three-period table counts markers over all three periods and says where each column comes from', async () => {
    const md = await readFile(join(ws, 'output/metadata/oaps_open_data.md'), 'utf8');
    // Every "*" in the value column of the three files: counted in the table by SQL below too.
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    try {
      const [{ n }] = await d.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.oaps_open_data WHERE _markers->>'value' = '*'`);
      expect(n).toBeGreaterThan(20_000);
      expect(md).toContain(`| \`value\` | numeric | Value. | \`*\` ×${n} | 2016-10 to 2017-02 | \`value\` (2016-10 to 2017-02, 3 periods) |`);
    } finally {
      await d.close();
    }
    expect(md).toContain('- Periods: 3 (2016-10 to 2017-02)');
    expect(md).toMatch(/\| `breakdown1description` \| text \| .* \| \| 2016-12 to 2017-02 \|/);
    expect(md).toContain('- Numbers: `numeric` columns are DOUBLE in Parquet');
  });

  it('the Parquet footer describes each column; the column catalog lists every column of every table', async () => {
    const info = (await readParquetInfo(join(ws, 'output/parquet/oaps_open_data.parquet')))!;
    for (const c of info.columns) expect(JSON.parse(info.kv[`nhs_pipeline.column.${c.name}`]!).description, c.name).toBeTruthy();
    const catalog = (await readParquet(join(ws, 'output/catalog.parquet'), ['table', 'column_count'])).rows;
    const columns = (await readParquet(join(ws, 'output/catalog_columns.parquet'), ['table', 'column', 'type', 'description', 'provenance', 'source_headers', 'first_period', 'last_period'])).rows;
    expect(catalog.length).toBeGreaterThan(50);
    for (const t of catalog) expect(columns.filter((c) => c.table === t.table), String(t.table)).toHaveLength(Number(t.column_count));
    const value = columns.find((c) => c.table === 'oaps_open_data' && c.column === 'value')!;
    expect(value).toMatchObject({ type: 'numeric', first_period: '2016-10', last_period: '2017-02', provenance: false });
    expect(JSON.parse(String(value.source_headers))).toEqual([{ header: 'value', periods: ['2016-10', '2016-12', '2017-02'] }]);
    const note = columns.find((c) => String(c.table).startsWith('gp_earnings_e1_') && c.column === 'contract_type')!;
    expect(note.description).toContain('Note 28: GPMS results are those of GMS and PMS GPs together.');
  });

  it('every staging table and column has a COMMENT in the database', async () => {
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    try {
      const missing = await d.query<{ t: string; c: string | null }>(
        `SELECT c.relname AS t, a.attname AS c FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'staging'
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE c.relkind = 'r' AND (obj_description(c.oid, 'pg_class') IS NULL OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))`,
      );
      expect(missing).toEqual([]);
      const [table] = await d.query<{ d: string }>(`SELECT obj_description('staging.oaps_open_data'::regclass, 'pg_class') AS d`);
      expect(table.d).toMatch(/One row per question, breakdown1 and breakdown2\./);
      const [col] = await d.query<{ d: string }>(
        `SELECT col_description(a.attrelid, a.attnum) AS d FROM pg_attribute a WHERE a.attrelid = 'staging.oaps_open_data'::regclass AND a.attname = '_row_kind'`,
      );
      expect(col.d).toContain('Sum only detail rows');
    } finally {
      await d.close();
    }
  });
});
