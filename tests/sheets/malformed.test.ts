/**
 * Malformed input generated in the test: every case must end in a SheetError that names the file
 * (and the member/line where it applies) — never a crash, a hang or a silent empty result.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import * as XLSX from '@e965/xlsx';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeFile, readTable, SheetError, type SourceFile } from '../../lib/sheets/index.ts';
import { SAMPLES } from './helpers.ts';

let dir: string;
const file = (name: string): SourceFile => ({ path: join(dir, name), name });

async function failure(f: SourceFile): Promise<SheetError> {
  try {
    await describeFile(f);
  } catch (err) {
    expect(err).toBeInstanceOf(SheetError);
    return err as SheetError;
  }
  throw new Error(`describeFile(${f.name}) did not fail`);
}

/** Sets the declared uncompressed size of every member of a zip (local and central headers). */
function lieAboutSizes(zip: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(zip);
  const dv = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = dv.getUint32(i, true);
    if (sig === 0x04034b50) dv.setUint32(i + 22, size, true);
    if (sig === 0x02014b50) dv.setUint32(i + 24, size, true);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sheets-malformed-'));
  await writeFile(join(dir, 'page.xlsx'), '<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>404</body></html>');
  await writeFile(join(dir, 'empty.csv'), '');
  const real = await readFile(join(SAMPLES, 'rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx'));
  await writeFile(join(dir, 'truncated.xlsx'), real.subarray(0, Math.floor(real.length / 2)));
  // A legacy .xls (410,112 bytes, 512-byte sectors) cut inside its allocation table, and cut in its last sectors.
  const xls = await readFile(join(SAMPLES, 'ae-attendances-emergency-admissions/Monthly-AE-Time-Series-January-2024.xls'));
  expect(xls.length).toBe(410_112);
  await writeFile(join(dir, 'cut-early.xls'), xls.subarray(0, 60_000));
  await writeFile(join(dir, 'cut-late.xls'), xls.subarray(0, 409_600));
  // A compound file large enough (9 MB) that its allocation table lists sectors beyond the header's 109 (in DIFAT sectors).
  const big = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(big, '/Workbook', Buffer.alloc(9 * 1024 * 1024, 7));
  const bigBytes = XLSX.CFB.write(big, { type: 'buffer', fileType: 'cfb' }) as Buffer;
  expect(new DataView(bigBytes.buffer, bigBytes.byteOffset).getUint32(0x2c, true)).toBeGreaterThan(109);
  await writeFile(join(dir, 'big-whole.xls'), bigBytes);
  await writeFile(join(dir, 'big-cut.xls'), bigBytes.subarray(0, Math.floor(bigBytes.length * 0.99)));
  await writeFile(join(dir, 'bomb.zip'), zipSync({ 'huge.csv': new Uint8Array(40 * 1024 * 1024) }, { level: 1 }));
  await writeFile(join(dir, 'liar.zip'), lieAboutSizes(zipSync({ 'small.csv': new Uint8Array(4 * 1024 * 1024).fill(0x41) }, { level: 1 }), 1000));
  await writeFile(join(dir, 'header-only.csv'), 'CODE,NAME,VALUE\r\n');
  await writeFile(join(dir, 'ragged.csv'), 'CODE,NAME,VALUE\r\nA1,Alpha,1\r\nA2,Beta,2,extra\r\nA3,Gamma,3\r\n');
  await writeFile(join(dir, 'junk.xls'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x10, 0x20, 0x00]));
  // Office's "Encrypt with Password" output (MS-OFFCRYPTO): an OLE compound file holding EncryptionInfo and EncryptedPackage streams instead of a zip.
  const cfb = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(cfb, '/EncryptionInfo', Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0, 0x24, 0, 0, 0]));
  XLSX.CFB.utils.cfb_add(cfb, '/EncryptedPackage', Buffer.alloc(8192, 0x5a));
  await writeFile(join(dir, 'locked.xlsx'), XLSX.CFB.write(cfb, { type: 'buffer', fileType: 'cfb' }) as Buffer);
  // 100,000 columns: a CSV, and a sheet whose used range really is that wide (A1:EQXD3).
  const header = Array.from({ length: 100_000 }, (_, i) => `C${i + 1}`);
  const values = Array.from({ length: 100_000 }, (_, i) => i);
  await writeFile(join(dir, 'wide.csv'), `${header.join(',')}\n${values.join(',')}\n`);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['Wide table'], header, values, values]), 'Wide');
  await writeFile(join(dir, 'wide.xlsx'), XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
});

describe('malformed input', () => {
  it('an HTML page saved as .xlsx is reported as a web page, naming the file', async () => {
    const e = await failure(file('page.xlsx'));
    expect(e.message).toContain('page.xlsx');
    expect(e.message).toMatch(/HTML web page, not a spreadsheet/);
    expect(e.hint).toMatch(/download it again/);
  });

  it('an empty file', async () => {
    const e = await failure(file('empty.csv'));
    expect(e.message).toMatch(/empty \(0 bytes\).*empty\.csv/);
  });

  it('a truncated xlsx', async () => {
    const e = await failure(file('truncated.xlsx'));
    expect(e.message).toMatch(/truncated or corrupt/);
    expect(e.file).toContain('truncated.xlsx');
  });

  it('a truncated .xls says it is truncated and where the bytes stop, cut early or late', async () => {
    const early = await failure(file('cut-early.xls'));
    expect(early.message).toMatch(/^Workbook is truncated: its allocation table is at byte [\d,]+ but the file is only 60,000 bytes \(.*cut-early\.xls/);
    expect(early.hint).toMatch(/download it again/);
    const late = await failure(file('cut-late.xls'));
    expect(late.message).toMatch(/^Workbook is truncated: it uses sectors up to byte 410,112 but the file is only 409,600 bytes/);
    // Past the header's 109 allocation-table sectors: a whole file is not truncated, a cut one is.
    const whole = await describeFile(file('big-whole.xls')).then(() => 'read', (e: Error) => e.message);
    expect(whole).not.toMatch(/truncated/);
    expect((await failure(file('big-cut.xls'))).message).toMatch(/^Workbook is truncated: it uses sectors up to byte [\d,]+ but the file is only [\d,]+ bytes/);
  });

  it('an error names where the file came from when the caller says (the URL), and where it is stored', async () => {
    const e = await failure({ ...file('cut-late.xls'), origin: 'https://example.org/ae/cut-late.xls' });
    expect(e.file).toBe(`cut-late.xls from https://example.org/ae/cut-late.xls, stored as ${join(dir, 'cut-late.xls')}`);
  });

  it('a zip bomb (ratio) is refused before inflating', async () => {
    const e = await failure(file('bomb.zip'));
    expect(e.message).toMatch(/huge\.csv.*zip bomb/);
    expect(e.message).toContain('bomb.zip');
  });

  it('a zip whose members inflate beyond their declared size is refused while streaming', async () => {
    const e = await failure(file('liar.zip'));
    expect(e.message).toMatch(/inflates beyond its declared size/);
    expect(e.member).toBe('small.csv');
  });

  it('a header-only CSV', async () => {
    const e = await failure(file('header-only.csv'));
    expect(e.message).toMatch(/header row \(line 1\) but no data rows.*header-only\.csv/);
  });

  it('a ragged CSV names the line', async () => {
    const e = await failure(file('ragged.csv'));
    expect(e.message).toMatch(/CSV line 3 has 4 fields but the header on line 1 has 3/);
    expect(e.cell).toBe('3:1');
    expect(e.message).toContain('ragged.csv, line 3:1');
  });

  it('binary junk', async () => {
    const e = await failure(file('junk.xls'));
    expect(e.message).toMatch(/binary data.*junk\.xls/);
  });

  it('a password-protected (encrypted) workbook', async () => {
    const e = await failure(file('locked.xlsx'));
    expect(e.message).toMatch(/^Workbook is password-protected or encrypted \(.*locked\.xlsx\)\. Ask the publisher for an unprotected copy/);
  });

  it('a CSV with 100,000 columns names the first column beyond the limit', async () => {
    const e = await failure(file('wide.csv'));
    expect(e.message).toMatch(/^Table has 100,000 columns, more than the 1,589 a staging table can hold .*wide\.csv, line 1:1590\)/);
    expect(e.cell).toBe('1:1590');
  });

  it('a sheet with 100,000 columns names the sheet and the header cell beyond the limit', async () => {
    const e = await failure(file('wide.xlsx'));
    // Column 1,590 is BID; the header is on row 2 under a title line.
    expect(e.message).toMatch(/^Table has 100,000 columns.*wide\.xlsx, sheet "Wide", cell BID2\)/);
    expect([e.sheet, e.cell]).toEqual(['Wide', 'BID2']);
  });

  it('a missing file', async () => {
    const e = await failure(file('nope.csv'));
    expect(e.message).toMatch(/cannot be opened/);
  });

  it('readTable refuses a table that no longer matches the file', async () => {
    await writeFile(join(dir, 'changing.csv'), 'A,B\n1,2\n3,4\n');
    const f = file('changing.csv');
    const x = await describeFile(f);
    await writeFile(join(dir, 'changing.csv'), 'A,B\n1,2\n');
    const rows: unknown[] = [];
    await expect(async () => {
      for await (const r of readTable(f, x.tables[0])) rows.push(r);
    }).rejects.toThrow(/yielded 1 rows but was described with 2/);
  });
});
