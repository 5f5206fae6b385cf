import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetInfo, rowsToParquet, type ParquetColumn } from '../../lib/parquet/index.ts';
import { listDir, readColumnTypes, readKv, readRows } from './read-back.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-rows-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const columns: ParquetColumn[] = [
  { name: 'table', type: 'text' },
  { name: 'rows', type: 'bigint' },
  { name: 'columns', type: 'integer' },
  { name: 'share', type: 'numeric' },
  { name: 'first_day', type: 'date' },
  { name: 'current', type: 'boolean' },
  { name: 'built_at', type: 'timestamp' },
];

const input = [
  {
    table: 'rtt_incomplete', rows: 5000000000n, columns: 12, share: 0.986666667, first_day: '2024-01-31',
    current: true, built_at: new Date('2026-11-23T10:00:00.250Z'),
  },
  // Shapes pg returns: bigint and numeric as strings; missing keys and undefined are NULL; '' stays ''.
  { table: '', rows: '9007199254740993', columns: '7', share: '1111294.5714285714', first_day: new Date(Date.UTC(1999, 11, 31)), current: 'f' },
  { table: 'beds – £', rows: 3, share: undefined, built_at: '2024-06-01 00:00:00.123456+01' },
];

describe('rowsToParquet', () => {
  it('writes typed rows that hyparquet reads back exactly, with kv and types', async () => {
    const out = join(dir, 'catalog.parquet');
    const result = await rowsToParquet({ columns, rows: input, outPath: out, kv: { kind: 'catalog' } });
    expect(result.rows).toBe(3);
    expect(result.bytes).toBe(readFileSync(out).length);
    expect(await readRows(out)).toEqual([
      {
        table: 'rtt_incomplete', rows: 5000000000n, columns: 12, share: 0.986666667,
        first_day: new Date('2024-01-31T00:00:00Z'), current: true, built_at: new Date('2026-11-23T10:00:00.250Z'),
      },
      {
        table: '', rows: 9007199254740993n, columns: 7, share: 1111294.5714285714,
        first_day: new Date('1999-12-31T00:00:00Z'), current: false, built_at: null,
      },
      {
        table: 'beds – £', rows: 3n, columns: null, share: null, first_day: null, current: null,
        built_at: new Date('2024-05-31T23:00:00.123Z'),
      },
    ]);
    const micros = (await readRows(out, { microseconds: true })).map((r) => r['built_at']);
    expect(micros).toEqual([
      BigInt(Date.UTC(2026, 10, 23, 10, 0, 0, 250)) * 1000n,
      null,
      BigInt(Date.UTC(2024, 4, 31, 23)) * 1000n + 123456n,
    ]);
    expect(await readColumnTypes(out)).toEqual({
      table: 'BYTE_ARRAY/UTF8',
      rows: 'INT64/INT_64',
      columns: 'INT32/INT_32',
      share: 'DOUBLE',
      first_day: 'INT32/DATE',
      current: 'BOOLEAN',
      built_at: 'INT64/TIMESTAMP',
    });
    expect(await readKv(out)).toEqual({ kind: 'catalog' });
    expect(await readParquetInfo(out)).toEqual({ rows: 3, columns, kv: { kind: 'catalog' } });
  });

  it('accepts an async iterable and gives byte-identical output for the same rows', async () => {
    async function* generate() {
      yield* input;
    }
    const a = await rowsToParquet({ columns, rows: input, outPath: join(dir, 'a.parquet'), kv: { x: '1', y: '2' } });
    const b = await rowsToParquet({ columns, rows: generate(), outPath: join(dir, 'b.parquet'), kv: { y: '2', x: '1' } });
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(join(dir, 'b.parquet')).equals(readFileSync(join(dir, 'a.parquet')))).toBe(true);
  });

  it('writes a valid file with no rows', async () => {
    const out = join(dir, 'none.parquet');
    expect((await rowsToParquet({ columns, rows: [], outPath: out, kv: {} })).rows).toBe(0);
    expect(await readParquetInfo(out)).toEqual({ rows: 0, columns, kv: {} });
  });

  it.each([
    [{ table: 'x', columns: 2147483648 }, 'row 1, column "columns" (integer): number 2147483648 is outside the integer range; use bigint'],
    [{ table: 'x', columns: 1.5 }, 'row 1, column "columns" (integer): number 1.5 is not a whole number'],
    [{ table: 'x', rows: 2 ** 60 }, 'row 1, column "rows" (bigint): number 1152921504606847000 is not a safe whole number; pass a bigint or a string'],
    [{ table: 'x', share: '0.98666666666666666666' }, 'row 1, column "share" (numeric): string "0.98666666666666666666" has more significant digits than a DOUBLE keeps'],
    [{ table: 'x', share: '52+' }, 'row 1, column "share" (numeric): string "52+" is not a number'],
    [{ table: 'x', first_day: '2024-02-30' }, 'row 1, column "first_day" (date): string "2024-02-30" is not a date written as YYYY-MM-DD'],
    [{ table: 'x', first_day: new Date('2024-01-01T12:00:00Z') }, 'row 1, column "first_day" (date): Date 2024-01-01T12:00:00.000Z is not at midnight UTC'],
    [{ table: 'x', current: 'yes' }, 'row 1, column "current" (boolean): string "yes" is not a boolean'],
    [{ table: 42 }, 'row 1, column "table" (text): number 42 is not a string'],
    [{ table: 'x', built_at: '2024-01-01 10:00:00' }, 'row 1, column "built_at" (timestamp): string "2024-01-01 10:00:00" is not a timestamp with an offset'],
    [{ table: 'x', colums: 3 }, 'row 1 has a value for "colums", which is not one of the columns'],
  ])('refuses %j, naming row, column and value, and leaves no file', async (row, message) => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    await expect(
      rowsToParquet({ columns, rows: [row as Record<string, unknown>], outPath: join(sub, 'o.parquet'), kv: {} }),
    ).rejects.toThrow(message);
    expect(listDir(sub)).toEqual([]);
  });

  it('names the row number of a bad value further down', async () => {
    const rows = [{ table: 'a' }, { table: 'b' }, { table: 'c', columns: 'seven' }];
    await expect(rowsToParquet({ columns, rows, outPath: join(dir, 'r.parquet'), kv: {} })).rejects.toThrow(
      `rowsToParquet ${join(dir, 'r.parquet')}: row 3, column "columns" (integer): string "seven" is not an integer`,
    );
  });

  it('refuses duplicate column names and unknown types before writing', async () => {
    await expect(
      rowsToParquet({ columns: [{ name: 'Org', type: 'text' }, { name: 'org', type: 'text' }], rows: [], outPath: join(dir, 'd.parquet'), kv: {} }),
    ).rejects.toThrow('column "org" appears twice (names are compared ignoring case)');
    await expect(
      rowsToParquet({ columns: [{ name: 'a', type: 'float' as never }], rows: [], outPath: join(dir, 'd.parquet'), kv: {} }),
    ).rejects.toThrow('column "a" has unknown type "float"; use one of integer, bigint, numeric, date, boolean, text, timestamp.');
  });
});
