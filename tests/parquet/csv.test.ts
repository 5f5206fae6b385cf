import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvToParquet, readParquetInfo, type ParquetColumn } from '../../lib/parquet/index.ts';
import { listDir, readColumnTypes, readFooter, readKv, readRows } from './read-back.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-csv-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const columns: ParquetColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'big', type: 'bigint' },
  { name: 'fte', type: 'numeric' },
  { name: 'day', type: 'date' },
  { name: 'flag', type: 'boolean' },
  { name: 'label', type: 'text' },
  { name: 'loaded_at', type: 'timestamp' },
];

// As PostgreSQL's COPY ... TO (FORMAT csv, HEADER) writes it: NULL is an empty unquoted field, '' is "", fields are
// quoted only when needed, booleans are t/f, timestamptz carries an offset.
const csv = [
  'id,big,fte,day,flag,label,loaded_at',
  '1,3000000000,0.986666667,2024-01-31,t,Clinical Director – Medical,2024-06-01 00:00:00+01',
  '2,,5.03563e+006,2024-02-29,f,,2024-01-01 12:34:56.123456+00',
  '-2147483648,-9007199254740993,1111294.5714285714,1999-12-31,,"",',
  '2147483647,9223372036854775807,95.123456789,2024-03-01,t,"£482,400 ""approx""",2024-01-01 00:00:00',
  ',2147483648,,,f,"line one\nline two",',
].join('\n') + '\n';

const kv = { 'nhs-pipeline:source-sha256': 'abc123', 'nhs-pipeline:table': 'beds – £', a_first: '1' };

describe('csvToParquet round trip (read back with hyparquet)', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof csvToParquet>>;
  beforeAll(async () => {
    writeFileSync(join(dir, 'all.csv'), csv);
    out = join(dir, 'all.parquet');
    result = await csvToParquet({ csvPath: join(dir, 'all.csv'), columns, outPath: out, kv });
  });

  it('reports the rows, size and SHA-256 of the file it wrote', async () => {
    expect(result.rows).toBe(5);
    const bytes = readFileSync(out);
    expect(result.bytes).toBe(bytes.length);
    const { createHash } = await import('node:crypto');
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('keeps every value exactly, NULL apart from the empty string', async () => {
    const rows = await readRows(out);
    expect(rows).toEqual([
      {
        id: 1, big: 3000000000n, fte: 0.986666667, day: new Date('2024-01-31T00:00:00Z'), flag: true,
        label: 'Clinical Director – Medical', loaded_at: new Date('2024-05-31T23:00:00Z'),
      },
      {
        id: 2, big: null, fte: 5035630, day: new Date('2024-02-29T00:00:00Z'), flag: false,
        label: null, loaded_at: new Date('2024-01-01T12:34:56.123Z'),
      },
      {
        id: -2147483648, big: -9007199254740993n, fte: 1111294.5714285714, day: new Date('1999-12-31T00:00:00Z'),
        flag: null, label: '', loaded_at: null,
      },
      {
        id: 2147483647, big: 9223372036854775807n, fte: 95.123456789, day: new Date('2024-03-01T00:00:00Z'),
        flag: true, label: '£482,400 "approx"', loaded_at: new Date('2024-01-01T00:00:00Z'),
      },
      { id: null, big: 2147483648n, fte: null, day: null, flag: false, label: 'line one\nline two', loaded_at: null },
    ]);
  });

  it('keeps timestamps to the microsecond, converted to UTC', async () => {
    const rows = await readRows(out, { microseconds: true });
    expect(rows.map((r) => r['loaded_at'])).toEqual([
      BigInt(Date.UTC(2024, 4, 31, 23)) * 1000n,
      BigInt(Date.UTC(2024, 0, 1, 12, 34, 56)) * 1000n + 123456n,
      null,
      BigInt(Date.UTC(2024, 0, 1)) * 1000n,
      null,
    ]);
  });

  it('writes the declared Parquet types, zstd, in column order', async () => {
    expect(await readColumnTypes(out)).toEqual({
      id: 'INT32/INT_32',
      big: 'INT64/INT_64',
      fte: 'DOUBLE',
      day: 'INT32/DATE',
      flag: 'BOOLEAN',
      label: 'BYTE_ARRAY/UTF8',
      loaded_at: 'INT64/TIMESTAMP',
    });
    const footer = await readFooter(out);
    const loadedAt = footer.schema.find((e) => e.name === 'loaded_at');
    expect(loadedAt?.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    const codecs = new Set(footer.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(['ZSTD']);
  });

  it('stores the key/value metadata, readable by hyparquet and by readParquetInfo', async () => {
    expect(await readKv(out)).toEqual(kv);
    const info = await readParquetInfo(out);
    expect(info).toEqual({ rows: 5, columns, kv });
  });

  it('writes byte-identical files for the same input, whatever the kv key order', async () => {
    const again = join(dir, 'again.parquet');
    const reordered = Object.fromEntries(Object.entries(kv).reverse());
    const second = await csvToParquet({ csvPath: join(dir, 'all.csv'), columns, outPath: again, kv: reordered });
    expect(second.sha256).toBe(result.sha256);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });
});

describe('csvToParquet with awkward column names', () => {
  it('keeps names with quotes, spaces, dashes and £ exactly', async () => {
    const odd: ParquetColumn[] = [
      { name: 'Org "Code"', type: 'text' },
      { name: "it's", type: 'integer' },
      { name: 'A&E – attendances (£)', type: 'numeric' },
    ];
    writeFileSync(join(dir, 'odd.csv'), `"Org ""Code""",it's,A&E – attendances (£)\nRXX,1,2.5\n`);
    const out = join(dir, 'odd.parquet');
    await csvToParquet({ csvPath: join(dir, 'odd.csv'), columns: odd, outPath: out, kv: {} });
    expect(await readRows(out)).toEqual([{ 'Org "Code"': 'RXX', "it's": 1, 'A&E – attendances (£)': 2.5 }]);
    expect((await readParquetInfo(out))?.columns).toEqual(odd);
  });
});

describe('csvToParquet failures leave nothing behind', () => {
  it('keeps the previous output untouched when a value cannot be cast, and removes its temp file', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const out = join(sub, 'table.parquet');
    writeFileSync(join(sub, 'good.csv'), csv);
    await csvToParquet({ csvPath: join(sub, 'good.csv'), columns, outPath: out, kv });
    const before = readFileSync(out);

    writeFileSync(join(sub, 'bad.csv'), 'id,big,fte,day,flag,label,loaded_at\n1,2,3,2024-01-01,t,x,\n2,abc,3,2024-01-01,t,x,\n');
    await expect(csvToParquet({ csvPath: join(sub, 'bad.csv'), columns, outPath: out, kv })).rejects.toThrow(
      `Cannot convert ${join(sub, 'bad.csv')} to Parquet: data row 2 (line 3 if no earlier field spans lines): ` +
        `Error when converting column "big". Could not convert string "abc" to 'BIGINT'. ` +
        `The line reads: "2,abc,3,2024-01-01,t,x,". Fix the value in the CSV or declare the column with a wider type.`,
    );
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(listDir(sub)).toEqual(['bad.csv', 'good.csv', 'table.parquet']);
  });

  it('creates no file at all when the first conversion fails', async () => {
    const sub = mkdtempSync(join(dir, 'fresh-'));
    writeFileSync(join(sub, 'bad.csv'), 'id,big,fte,day,flag,label,loaded_at\n1,2,3,2024-02-30,t,x,\n');
    await expect(
      csvToParquet({ csvPath: join(sub, 'bad.csv'), columns, outPath: join(sub, 'out.parquet'), kv }),
    ).rejects.toThrow('data row 1 (line 2 if no earlier field spans lines): Error when converting column "day". Could not convert string "2024-02-30" to \'DATE\'');
    expect(listDir(sub)).toEqual(['bad.csv']);
  });

  it.each([
    ['too many fields', 'id,big,fte,day,flag,label,loaded_at\n1,2,3,,,,\n2,2,3,,,,,extra\n', 'data row 2 (line 3 if no earlier field spans lines): Expected Number of Columns: 7 Found: 8. The line reads: "2,2,3,,,,,extra". Every line must have as many fields as the header.'],
    ['not UTF-8 (Windows-1252 en dash)', 'id,big,fte,day,flag,label,loaded_at\n1,2,3,,,Director \x96 Medical,\n', 'This file is not utf-8 encoded. The line reads: '],
    ['an unterminated quote', 'id,big,fte,day,flag,label,loaded_at\n1,2,3,,,"open,\n', 'data row 1 (line 2 if no earlier field spans lines): Value with unterminated quote found.'],
    ['a bad value after a field with a line break', 'id,big,fte,day,flag,label,loaded_at\n1,2,3,,,"a\nb",\nx,2,3,,,,\n', 'data row 2 (line 3 if no earlier field spans lines): Error when converting column "id"'],
  ])('explains %s with the data row and leaves no file', async (_what, content, message) => {
    const sub = mkdtempSync(join(dir, 'shape-'));
    writeFileSync(join(sub, 'bad.csv'), Buffer.from(content, 'latin1'));
    await expect(csvToParquet({ csvPath: join(sub, 'bad.csv'), columns, outPath: join(sub, 'o.parquet'), kv })).rejects.toThrow(message);
    expect(listDir(sub)).toEqual(['bad.csv']);
  });

  it('names the row and value of a numeric that is not a number', async () => {
    const sub = mkdtempSync(join(dir, 'nan-'));
    writeFileSync(join(sub, 'bad.csv'), 'id,big,fte,day,flag,label,loaded_at\n1,2,3,,,,\n2,2,52+,,,,\n');
    await expect(csvToParquet({ csvPath: join(sub, 'bad.csv'), columns, outPath: join(sub, 'o.parquet'), kv })).rejects.toThrow(
      'column "fte", data row 2 (line 3 if no earlier field spans lines): "52+" is not a number',
    );
    expect(listDir(sub)).toEqual(['bad.csv']);
  });

  it('refuses a numeric value a DOUBLE would round, instead of losing digits', async () => {
    const sub = mkdtempSync(join(dir, 'lossy-'));
    // 0.98666666666666666666 has 20 significant digits: a double keeps about 17.
    writeFileSync(join(sub, 'lossy.csv'), 'id,big,fte,day,flag,label,loaded_at\n1,2,0.3333333333333333,,,,\n2,2,0.98666666666666666666,,,,\n');
    await expect(
      csvToParquet({ csvPath: join(sub, 'lossy.csv'), columns, outPath: join(sub, 'o.parquet'), kv }),
    ).rejects.toThrow('column "fte", data row 2 (line 3 if no earlier field spans lines): "0.98666666666666666666" has more significant digits than a DOUBLE keeps');
    expect(listDir(sub)).toEqual(['lossy.csv']);
  });

  it('refuses a CSV whose header does not match the declared columns', async () => {
    const sub = mkdtempSync(join(dir, 'header-'));
    writeFileSync(join(sub, 'swapped.csv'), 'big,id,fte,day,flag,label,loaded_at\n1,2,3,,,,\n');
    await expect(
      csvToParquet({ csvPath: join(sub, 'swapped.csv'), columns, outPath: join(sub, 'o.parquet'), kv }),
    ).rejects.toThrow(/swapped\.csv line 1: header is \["big","id",.*\] but the declared columns are \["id","big",/);
    expect(listDir(sub)).toEqual(['swapped.csv']);
  });

  it('says which CSV is missing', async () => {
    await expect(
      csvToParquet({ csvPath: join(dir, 'nope.csv'), columns, outPath: join(dir, 'nope.parquet'), kv }),
    ).rejects.toThrow(`CSV file not found: ${join(dir, 'nope.csv')}`);
  });

  it('writes a valid empty file for a header-only CSV', async () => {
    writeFileSync(join(dir, 'empty.csv'), 'id,big,fte,day,flag,label,loaded_at\n');
    const result = await csvToParquet({ csvPath: join(dir, 'empty.csv'), columns, outPath: join(dir, 'empty.parquet'), kv });
    expect(result.rows).toBe(0);
    expect(await readRows(join(dir, 'empty.parquet'))).toEqual([]);
    expect(await readParquetInfo(join(dir, 'empty.parquet'))).toEqual({ rows: 0, columns, kv });
  });
});
