import Papa from 'papaparse';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { decompress } from 'fzstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvToParquet, readParquetInfo, type ParquetColumn } from '../../lib/parquet/index.ts';
import { listDir, readFooter, readRows } from './read-back.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-large-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ROWS = 1_000_000;
const columns: ParquetColumn[] = [
  { name: 'id', type: 'bigint' },
  { name: 'org', type: 'text' },
  { name: 'value', type: 'numeric' },
  { name: 'day', type: 'date' },
  { name: 'flag', type: 'boolean' },
  { name: 'note', type: 'text' },
];

/** Row i of the generated CSV, in PostgreSQL's CSV form; the tests compute expected values from the same rules. */
function line(i: number): string {
  const value = i % 7 === 0 ? '' : (i / 4).toFixed(2); // every 7th value NULL
  const note = i % 3 === 0 ? '' : i % 3 === 1 ? '""' : `"n, ${i}"`; // NULL, empty string, text with a comma
  return `${i},ORG${i % 500},${value},2024-${String(1 + (i % 12)).padStart(2, '0')}-01,${i % 2 ? 't' : 'f'},${note}\n`;
}

async function writeBigCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,org,value,day,flag,note\n');
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    chunk += line(i);
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

describe('a 1M-row CSV', () => {
  let csvPath: string;
  beforeAll(async () => {
    csvPath = join(dir, 'big.csv');
    await writeBigCsv(csvPath);
  });

  it('converts completely, in ~100k-row row groups, with bounded memory', async () => {
    const out = join(dir, 'big.parquet');
    const result = await csvToParquet({ csvPath, columns, outPath: out, kv: { table: 'big' } });
    expect(result.rows).toBe(ROWS);
    expect((await readParquetInfo(out))?.rows).toBe(ROWS);

    const footer = await readFooter(out);
    const groupRows = footer.row_groups.map((g) => Number(g.num_rows));
    expect(groupRows.reduce((a, b) => a + b, 0)).toBe(ROWS);
    expect(groupRows.length).toBeGreaterThanOrEqual(9);
    expect(groupRows.length).toBeLessThanOrEqual(11);

    // The last rows, read with hyparquet: the tail of the file holds the tail of the CSV, in order.
    const file = await asyncBufferFromFile(out);
    const tail = await parquetReadObjects({
      file,
      rowStart: ROWS - 3,
      rowEnd: ROWS,
      compressors: { ZSTD: (input: Uint8Array, n: number) => decompress(input, new Uint8Array(n)) },
    });
    expect(tail).toEqual([
      { id: 999997n, org: 'ORG497', value: 249999.25, day: new Date('2024-02-01T00:00:00Z'), flag: true, note: '' },
      { id: 999998n, org: 'ORG498', value: 249999.5, day: new Date('2024-03-01T00:00:00Z'), flag: false, note: 'n, 999998' },
      { id: 999999n, org: 'ORG499', value: null, day: new Date('2024-04-01T00:00:00Z'), flag: true, note: null },
    ]);
    // Same input again: the same bytes, row groups included.
    const again = await csvToParquet({ csvPath, columns, outPath: join(dir, 'big-again.parquet'), kv: { table: 'big' } });
    expect(again.sha256).toBe(result.sha256);

    // DuckDB's memory is native, so it shows in the process's peak RSS; converting must not hold the table in memory.
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(1.5 * 1024 ** 3);
  });

  it('stops when aborted and leaves no file behind', async () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      csvToParquet({ csvPath, columns, outPath: join(sub, 'big.parquet'), kv: {}, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(listDir(sub)).toEqual([]);
  });

  it('does not start when the signal is already aborted', async () => {
    const sub = mkdtempSync(join(dir, 'aborted-'));
    await expect(
      csvToParquet({ csvPath, columns, outPath: join(sub, 'x.parquet'), kv: {}, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(listDir(sub)).toEqual([]);
  });
});

describe('a real NHS CSV (GP appointments, Lincolnshire, Aug 2021 release)', () => {
  it('converts with every value as papaparse reads it', async () => {
    const csvPath = 'tests/fixtures/nhs-samples/gp-appointments/2021-08-regional-csv/Regional_CSV_Lincolnshire.csv';
    const parsed = Papa.parse<string[]>(readFileSync(csvPath, 'utf8'), { skipEmptyLines: true });
    const [header, ...records] = parsed.data;
    const cols: ParquetColumn[] = header!.map((name) => ({
      name,
      type: name === 'COUNT_OF_APPOINTMENTS' ? 'integer' : 'text',
    }));
    const out = join(dir, 'lincolnshire.parquet');
    const result = await csvToParquet({ csvPath, columns: cols, outPath: out, kv: {} });
    expect(result.rows).toBe(6394); // SOURCES.md: 6,394 rows × 13
    expect(records.length).toBe(6394);

    const rows = await readRows(out);
    const expected = records.map((r) =>
      Object.fromEntries(header!.map((name, i) => [name, name === 'COUNT_OF_APPOINTMENTS' ? Number(r[i]) : r[i]])),
    );
    expect(rows).toEqual(expected);
    // The double spaces NHS uses in categories survive untouched.
    expect(rows.some((r) => r['TIME_BETWEEN_BOOK_AND_APPT'] === '8  to 14 Days')).toBe(true);
  });
});
