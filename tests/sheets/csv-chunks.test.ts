/**
 * CSVs larger than one parse piece (64 KiB; files are read 256 KiB at a time and decoded and parsed 64 KiB
 * at a time): what happens at and after piece boundaries. The describe
 * pass detects the encoding while it parses, so a Windows-1252 byte far into the file must still switch
 * the whole file to Windows-1252; a UTF-8 character split across two chunks must decode whole; physical
 * line numbers must stay right when a quoted field holds a line break in a later chunk. All inputs are
 * built here, and the expected values follow from how they are built.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFile, readTable, type SourceFile } from '../../lib/sheets/index.ts';
import { collect } from './helpers.ts';

const CHUNK = 64 * 1024;
let dir: string;
const file = (name: string): SourceFile => ({ path: join(dir, name), name });

/** `n` data lines `Rnnnnnn,<i>` after a `CODE,COUNT` header, CRLF-terminated (15 bytes each). */
function asciiRows(n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `R${String(i).padStart(6, '0')},${i % 10}\r\n`;
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sheets-chunks-'));
  // 30,000 ASCII rows (450 KB) and then one row with cp1252 bytes: en dash 0x96 and pound 0xA3.
  const head = Buffer.from(`CODE,COUNT\r\n${asciiRows(30_000)}`);
  await writeFile(join(dir, 'late-cp1252.csv'), Buffer.concat([head, Buffer.from([0x43, 0x44, 0x20, 0x96, 0x20, 0x4d, 0x2c, 0xa3, 0x31, 0x32, 0x0d, 0x0a])]));

  // A UTF-8 '£' (C2 A3) whose two bytes fall on either side of the first chunk boundary.
  const header = 'NAME,COST\r\n';
  let body = header;
  while (body.length < CHUNK - 40) body += `Item ${body.length},1\r\n`;
  const pad = CHUNK - 1 - Buffer.byteLength(body) - 'Pounds ,'.length;
  body += `Pounds ${'x'.repeat(pad)},`;
  const split = Buffer.concat([Buffer.from(body), Buffer.from('£5\r\nAfter,2\r\n')]);
  expect(split.subarray(CHUNK - 1, CHUNK + 1)).toEqual(Buffer.from([0xc2, 0xa3])); // the construction is right
  await writeFile(join(dir, 'split-utf8.csv'), split);

  // A CRLF whose CR is the last byte of the first piece and whose LF is the first of the second.
  let crlf = 'CODE,COUNT\r\n';
  while (crlf.length < CHUNK - 40) crlf += `Row ${crlf.length},1\r\n`;
  crlf += `Edge ${'y'.repeat(CHUNK - 1 - crlf.length - 'Edge ,3'.length)},3\r\nNext,4\r\n`;
  expect(crlf.slice(CHUNK - 1, CHUNK + 1)).toBe('\r\n'); // the construction is right (ASCII: chars are bytes)
  await writeFile(join(dir, 'split-crlf.csv'), crlf);

  // A header of exactly one piece less one character, so its CR ends the first piece and its LF starts the next.
  const cols = [];
  for (let i = 0; cols.join(',').length < CHUNK - 1; i++) cols.push(`Column ${i} of a wide header with long names`);
  const longHeader = cols.join(',').slice(0, CHUNK - 1 - 1) + 'Z'; // CHUNK - 1 characters (the last column's name is cut)
  expect((longHeader + '\r').length).toBe(CHUNK);
  const width = longHeader.split(',').length;
  await writeFile(join(dir, 'long-header.csv'), `${longHeader}\r\n"Trust, 1",${Array.from({ length: width - 1 }, (_, i) => i).join(',')}\r\n`);

  // A CRLF file whose unquoted field holds a bare LF (line 4 continues on line 5), and no quote anywhere.
  await writeFile(join(dir, 'bare-lf.csv'), `CODE,NOTE\r\nA,x\r\nB,y\nz\r\n${Array.from({ length: 10 }, (_, i) => `R${i},n\r\n`).join('')}`);

  // A quoted field of 300,000 characters, spanning several pieces, then ordinary rows.
  await writeFile(join(dir, 'long-field.csv'), `CODE,TEXT\r\nA,"${'w'.repeat(150_000)}\r\n${'v'.repeat(150_000)}"\r\nB,short\r\n`);

  // 20,000 rows (line 2 … 20001), a quoted two-line field (lines 20002–20003), then 10 more rows (20004 …).
  await writeFile(join(dir, 'late-newline.csv'), `CODE,COUNT\r\n${asciiRows(20_000)}"two\r\nlines",7\r\n${asciiRows(10, 20_000)}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CSVs over several read chunks', () => {
  it('a Windows-1252 byte after the first chunk makes the whole file Windows-1252, – and £ intact', async () => {
    const f = file('late-cp1252.csv');
    const x = await describeFile(f);
    expect(x.encoding).toBe('windows-1252');
    const t = x.tables[0];
    expect([t.rowCount, t.firstDataRow, t.lastDataRow]).toEqual([30_001, 2, 30_002]);
    // `£12` is a currency amount (values.ts), so COUNT stays an integer column: range 0 … 12.
    expect(t.columns.map((c) => [c.name, c.type, c.range])).toEqual([['CODE', 'text', undefined], ['COUNT', 'integer', { min: '0', max: '12' }]]);
    const rows = await collect(f, t);
    expect(rows.length).toBe(30_001);
    expect(rows[0]).toEqual({ row: 2, values: ['R000000', '0'], isTotal: false, kind: 'detail' });
    expect(rows[30_000]).toEqual({ row: 30_002, values: ['CD – M', '£12'], isTotal: false, kind: 'detail' });
  });

  it('a UTF-8 character split across two chunks decodes whole and the file stays UTF-8', async () => {
    const f = file('split-utf8.csv');
    const x = await describeFile(f);
    expect(x.encoding).toBe('utf-8');
    const rows = await collect(f, x.tables[0]);
    const pounds = rows.find((r) => String(r.values[0]).startsWith('Pounds '));
    expect(pounds?.values[1]).toBe('£5');
    expect(rows[rows.length - 1].values).toEqual(['After', '2']);
    expect(rows.some((r) => r.values.some((v) => String(v).includes('\uFFFD')))).toBe(false);
  });

  it('a CRLF split across two pieces ends its line: no stray CR, no merged lines', async () => {
    const f = file('split-crlf.csv');
    const t = (await describeFile(f)).tables[0];
    const rows = await collect(f, t);
    const edge = rows.findIndex((r) => String(r.values[0]).startsWith('Edge '));
    expect(rows[edge].values[1]).toBe('3');
    expect(rows[edge + 1]).toEqual({ row: rows[edge].row + 1, values: ['Next', '4'], isTotal: false, kind: 'detail' });
    expect([t.rowCount, t.lastDataRow]).toEqual([edge + 2, edge + 3]);
    expect(t.columns[1].type).toBe('integer');
  });

  it('a header whose CR ends the first piece still makes a CRLF file (not CR line ends)', async () => {
    const f = file('long-header.csv');
    const t = (await describeFile(f)).tables[0];
    expect([t.rowCount, t.headerRows, t.firstDataRow]).toEqual([1, [1], 2]);
    const rows = await collect(f, t);
    expect(rows[0].values[0]).toBe('Trust, 1');
    expect(rows[0].values.length).toBe(t.columns.length);
    expect(t.columns.at(-1)?.name.endsWith('Z')).toBe(true);
  });

  it('a bare LF inside an unquoted field of a CRLF file moves the line numbers after it', async () => {
    const f = file('bare-lf.csv');
    const t = (await describeFile(f)).tables[0];
    expect([t.rowCount, t.firstDataRow, t.lastDataRow]).toEqual([12, 2, 14]);
    const rows = await collect(f, t);
    expect(rows[1]).toEqual({ row: 3, values: ['B', 'y\nz'], isTotal: false, kind: 'detail' });
    expect(rows[2]).toEqual({ row: 5, values: ['R0', 'n'], isTotal: false, kind: 'detail' });
  });

  it('a quoted field longer than several pieces is read whole', async () => {
    const f = file('long-field.csv');
    const t = (await describeFile(f)).tables[0];
    expect([t.rowCount, t.firstDataRow, t.lastDataRow]).toEqual([2, 2, 4]);
    const rows = await collect(f, t);
    expect(rows.map((r) => [r.row, r.values[0], String(r.values[1]).length])).toEqual([[2, 'A', 300_002], [4, 'B', 5]]);
  });

  it('an unmatched quote is an error naming its line after 32 MB, not a parse of the rest of the file per piece', async () => {
    const path = join(dir, 'open-quote.csv');
    const row = 'R0000001,12345,Some words here,6789\r\n';
    await writeFile(path, `CODE,N,TEXT,M\r\nA,1,"never closed,2\r\n${row.repeat(Math.ceil((34 * 1024 * 1024) / row.length))}`);
    const started = performance.now();
    const err = await describeFile({ path, name: 'open-quote.csv' }).then(() => undefined, (e: unknown) => e as Error & { cell?: string });
    expect(err?.message).toMatch(/^CSV line 2 starts a record that is still open after 32 MB of text: a quoted field never closes/);
    expect(err?.cell).toBe('2:1');
    // Parsing the open record again for every 64 KiB piece took half a minute here; doubling keeps it linear.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('an unmatched quote near the end is an error naming its line, not a ragged line', async () => {
    const path = join(dir, 'open-quote-end.csv');
    await writeFile(path, `CODE,N\r\nA,1\r\nB,"2\r\nC,3\r\n`);
    const err = await describeFile({ path, name: 'open-quote-end.csv' }).then(() => undefined, (e: unknown) => e as Error & { cell?: string });
    expect(err?.message).toMatch(/^CSV line 3 has a quoted field that never closes properly/);
    expect(err?.cell).toBe('3:1');
  });

  it('spaces, a tab or a lone CR after the last closing quote of the file are not an open quote', async () => {
    for (const [i, tail] of [' ', '\t', '\r', ' \r'].entries()) {
      const path = join(dir, `closed-${i}.csv`);
      await writeFile(path, `CODE,N\r\nA,1\r\nB,"2"${tail}`);
      const f = { path, name: `closed-${i}.csv` };
      const t = (await describeFile(f)).tables[0];
      expect((await collect(f, t)).map((r) => r.values)).toEqual([['A', '1'], ['B', '2']]);
    }
  });

  it('a quoted line break in a later chunk moves the physical line numbers of the rows after it', async () => {
    const f = file('late-newline.csv');
    const t = (await describeFile(f)).tables[0];
    expect([t.rowCount, t.firstDataRow, t.lastDataRow]).toEqual([20_011, 2, 20_013]);
    const rows = await collect(f, t);
    expect(rows[19_999]).toEqual({ row: 20_001, values: ['R019999', '9'], isTotal: false, kind: 'detail' });
    expect(rows[20_000]).toEqual({ row: 20_002, values: ['two\r\nlines', '7'], isTotal: false, kind: 'detail' });
    expect(rows[20_001]).toEqual({ row: 20_004, values: ['R020000', '0'], isTotal: false, kind: 'detail' });
    expect(rows[20_010]).toEqual({ row: 20_013, values: ['R020009', '9'], isTotal: false, kind: 'detail' });
  });

  it('readTable hands out rows in order to overlapping next() calls and stops cleanly on break', async () => {
    const f = file('late-newline.csv');
    const t = (await describeFile(f)).tables[0];
    const it = readTable(f, t);
    const first = await Promise.all([it.next(), it.next(), it.next()]);
    expect(first.map((r) => (r.done ? undefined : r.value.row))).toEqual([2, 3, 4]);
    expect(await it.return(undefined)).toEqual({ value: undefined, done: true });
    expect((await it.next()).done).toBe(true);
    let n = 0;
    for await (const r of readTable(f, t)) if (++n === 5 || r.row < 0) break;
    expect(n).toBe(5);
  });
});
