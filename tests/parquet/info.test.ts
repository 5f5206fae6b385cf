import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetInfo, rowsToParquet } from '../../lib/parquet/index.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-info-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A Parquet file written by "another tool" (plain DuckDB SQL, not our writers), for types we never write ourselves. */
async function foreignParquet(path: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
}

describe('readParquetInfo', () => {
  it('returns undefined for a file that does not exist yet', async () => {
    expect(await readParquetInfo(join(dir, 'missing.parquet'))).toBeUndefined();
  });

  it('says plainly when the file is not Parquet', async () => {
    const path = join(dir, 'table.parquet');
    writeFileSync(path, 'id,name\n1,a\n');
    await expect(readParquetInfo(path)).rejects.toThrow(
      `${path} is not a Parquet file (it does not start and end with the bytes "PAR1"); delete it and rebuild the table.`,
    );
  });

  it('says plainly when the file is a truncated Parquet file', async () => {
    const whole = join(dir, 'whole.parquet');
    await rowsToParquet({ columns: [{ name: 'a', type: 'integer' }], rows: [{ a: 1 }], outPath: whole, kv: {} });
    const cut = join(dir, 'cut.parquet');
    writeFileSync(cut, readFileSync(whole).subarray(0, 40));
    await expect(readParquetInfo(cut)).rejects.toThrow(`${cut} is not a Parquet file`);
  });

  it('refuses a folder with a clear message', async () => {
    const path = join(dir, 'folder.parquet');
    mkdirSync(path);
    await expect(readParquetInfo(path)).rejects.toThrow(`${path} is a folder, not a Parquet file`);
  });

  it('maps other writers\' types to pipeline types', async () => {
    const path = join(dir, 'foreign.parquet');
    await foreignParquet(
      path,
      `SELECT 1::SMALLINT AS s, 2.5::FLOAT AS f, 3.25::DECIMAL(18, 2) AS d, TIMESTAMP '2024-01-01 00:00:00' AS t, 'x' AS v`,
    );
    expect(await readParquetInfo(path)).toEqual({
      rows: 1,
      columns: [
        { name: 's', type: 'integer' },
        { name: 'f', type: 'numeric' },
        { name: 'd', type: 'numeric' },
        { name: 't', type: 'timestamp' },
        { name: 'v', type: 'text' },
      ],
      kv: {},
    });
  });

  it('names a column whose type the pipeline cannot represent', async () => {
    const path = join(dir, 'list.parquet');
    await foreignParquet(path, `SELECT 1 AS id, [1, 2] AS codes`);
    await expect(readParquetInfo(path)).rejects.toThrow(
      `${path}: column "codes" has Parquet type INTEGER[], which has no pipeline column type`,
    );
  });
});
