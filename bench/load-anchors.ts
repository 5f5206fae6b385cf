/**
 * The reference measurements of the load benchmark, each what the database or DuckDB does on its own with the same
 * rows, so the pipeline's stages can be read as a fraction of it:
 *
 * - `psqlCopy`: `psql \copy` of the generated CSV into a same-shaped typed table (no index) on the server;
 * - `pgliteCopy`: PGlite's own `COPY … FROM '/dev/blob'` of the same file into such a table (in a child process);
 * - `duckdbParquet`: DuckDB's `read_csv` → `COPY … TO parquet` (zstd) of the same file, DuckDB's default threads;
 * - `psqlFloor` / `pgliteFloor`: the database storing the rows the pipeline loaded (all staging columns, binary COPY
 *   from a file, into a copy of the staging table with its index): the least any load into that table can cost.
 *
 * The anchors of the same-shaped table read the file's `*` cells as NULL (`NULL '*'`) and its `dd/mm/yyyy` dates
 * day first (DateStyle DMY); the generated files have no other special values.
 */
import { spawn } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SHAPE_COLUMNS, type Shape } from './generate.ts';

/** What a child measurement prints as its last line. */
export interface Timing { ms: number; rows?: number }

const ddl = (table: string, shape: Shape) => `CREATE TABLE ${table} (${SHAPE_COLUMNS[shape].map(([n, t]) => `${n} ${t}`).join(', ')})`;

/** Runs psql with `args`, failing with its stderr; returns the wall time of the whole process. */
export function psql(url: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`psql ${args.join(' ')} failed: ${err.trim()}`))));
  });
}

export async function psqlCopy(url: string, csv: string, shape: Shape): Promise<Timing> {
  await psql(url, ['-c', 'DROP TABLE IF EXISTS bench_anchor', '-c', ddl('bench_anchor', shape)]);
  const ms = await psql(url, ['-c', `\\copy bench_anchor FROM '${csv}' WITH (FORMAT csv, HEADER, NULL '*')`], { PGOPTIONS: '-c datestyle=ISO,DMY' });
  await psql(url, ['-c', 'DROP TABLE bench_anchor']);
  return { ms };
}

export async function psqlFloor(url: string, table: string, dir: string): Promise<Timing> {
  const file = join(dir, 'floor.bin');
  await psql(url, ['-c', `\\copy (SELECT * FROM staging."${table}") TO '${file}' WITH (FORMAT binary)`, '-c', `CREATE TABLE bench_floor (LIKE staging."${table}" INCLUDING ALL)`]);
  const ms = await psql(url, ['-c', `\\copy bench_floor FROM '${file}' WITH (FORMAT binary)`]);
  await psql(url, ['-c', 'DROP TABLE bench_floor']);
  await rm(file, { force: true });
  return { ms };
}

/** Child: PGlite's COPY of the CSV into a same-shaped table, in a fresh copy of the template data directory. */
async function pgliteCopy(template: string, dir: string, csv: string, shape: Shape): Promise<Timing> {
  const { PGlite } = await import('@electric-sql/pglite');
  await cp(template, dir, { recursive: true });
  const pg = await PGlite.create(dir);
  try {
    await pg.exec(`${ddl('bench_anchor', shape)}; SET datestyle = 'ISO, DMY'`);
    const blob = new Blob([await readFile(csv)]);
    const started = performance.now();
    await pg.query(`COPY bench_anchor FROM '/dev/blob' WITH (FORMAT csv, HEADER, NULL '*')`, [], { blob });
    return { ms: performance.now() - started };
  } finally {
    await pg.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Child: PGlite storing the staging rows of a workspace's embedded database again, from a binary COPY blob. */
async function pgliteFloor(dataDir: string, table: string): Promise<Timing> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create(dataDir);
  try {
    const out = await pg.query(`COPY staging."${table}" TO '/dev/blob' WITH (FORMAT binary)`);
    await pg.exec(`CREATE TABLE bench_floor (LIKE staging."${table}" INCLUDING ALL)`);
    const started = performance.now();
    await pg.query(`COPY bench_floor FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: out.blob });
    const ms = performance.now() - started;
    await pg.exec('DROP TABLE bench_floor');
    return { ms };
  } finally {
    await pg.close();
  }
}

/** Child: DuckDB's own CSV → Parquet of the file. */
async function duckdbParquet(csv: string, out: string): Promise<Timing> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const started = performance.now();
    const reader = await conn.runAndReadAll(`COPY (FROM read_csv('${csv}')) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
    return { ms: performance.now() - started, rows: Number(reader.getRows()[0]?.[0]) };
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(out, { force: true });
  }
}

/** Runs one of the child measurements above in a fresh process, so its memory and time are its own. */
export function inChild(mode: 'pglite-copy' | 'pglite-floor' | 'duckdb-parquet', ...args: string[]): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, mode, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${mode} failed (exit ${code})`));
      else resolve(JSON.parse(last) as Timing);
    });
  });
}

if (process.argv[1] === import.meta.filename) {
  const [mode, a, b, c, d] = process.argv.slice(2) as string[];
  const result =
    mode === 'pglite-copy' ? await pgliteCopy(a!, b!, c!, d as Shape)
      : mode === 'pglite-floor' ? await pgliteFloor(a!, b!)
        : await duckdbParquet(a!, b!);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
