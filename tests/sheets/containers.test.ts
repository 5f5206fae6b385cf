/**
 * Zip members (nested zips, __MACOSX and dot files ignored, CSV/XLSX twins kept once), .ods input
 * with console noise suppressed, and cp1252 CSVs with £ and en dash. All inputs built in the test.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { describeFile, toPgText, type SourceFile } from '../../lib/sheets/index.ts';
import { collect } from './helpers.ts';

let dir: string;
const file = (name: string): SourceFile => ({ path: join(dir, name), name });

function workbook(rows: unknown[][], bookType: XLSX.BookType, sheet = 'Data'): Uint8Array {
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), sheet);
  return new Uint8Array(XLSX.write(wb, { type: 'buffer', bookType }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sheets-containers-'));
  const inner = zipSync({ 'b.csv': strToU8('CODE,COUNT\r\nX1,5\r\nX2,7\r\n') });
  const book = workbook([['Title: Test book'], [], ['Region', 'Count'], ['North', 10], ['South', 20], ['Total', 30]], 'xlsx');
  const twinCsv = strToU8('Region,Count\nNorth,10\nSouth,20\n');
  const twinXlsx = workbook([['Region', 'Count'], ['North', 10], ['South', 20]], 'xlsx');
  await writeFile(
    join(dir, 'pack.zip'),
    zipSync({
      'a.csv': strToU8('ID,NAME\n1,One\n2,Two\n3,Three\n'),
      'inner.zip': inner,
      'book.xlsx': book,
      'twin.csv': twinCsv,
      'twin.xlsx': twinXlsx,
      'readme.pdf': strToU8('%PDF-1.4'),
      '__MACOSX/._a.csv': strToU8('junk'),
      '.DS_Store': strToU8('junk'),
    }),
  );
  await writeFile(join(dir, 'sheet.ods'), workbook([['Code', 'Value'], ['A', 1.5], ['B', 2.25]], 'ods', 'Values'));
  // cp1252: £ is 0xA3, en dash is 0x96.
  await writeFile(join(dir, 'costs.csv'), Buffer.concat([Buffer.from('ROLE,COST\r\n'), Buffer.from([0x43, 0x44, 0x20, 0x96, 0x20, 0x4d, 0x2c, 0xa3, 0x31, 0x32, 0x0d, 0x0a])]));
  await writeFile(
    join(dir, 'titled.csv'),
    [
      '"Monthly widgets, England"',
      'Period:,January 2024',
      'Source:,NHS England,',
      '',
      'Breakdown,Code,Name,Count',
      'National,E92000001,England,100',
      'Region,Y56,London,40',
      'Region,Y58,South West,60',
      'ICB,QMJ,North Central London,25',
      'ICB,QKK,South East London,15',
      'ICB,QJK,Devon,60',
      'Source: NHS England widget collection',
      '',
    ].join('\r\n'),
  );
  await writeFile(join(dir, 'bom.csv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name,When\r\n"Smith, J",01/05/2025\r\n"multi\r\nline",02/05/2025\r\nLast,03/05/2025\r\n')]));
});

describe('containers and encodings', () => {
  it('lists zip members: nested zip, workbook member, twins kept once, junk listed with its reason', async () => {
    const f = file('pack.zip');
    const x = await describeFile(f);
    expect(x.format).toBe('zip');
    expect(x.tables.map((t) => t.key)).toEqual(['a.csv', 'book.xlsx!Data#1', 'inner.zip/b.csv', 'twin.csv']);
    expect(x.skipped).toEqual([
      { member: '.DS_Store', reason: 'hidden file' },
      { member: '__MACOSX/._a.csv', reason: 'macOS metadata' },
      { member: 'readme.pdf', reason: 'not a data file (.pdf)' },
      { member: 'twin.xlsx', reason: 'same table as twin.csv (twin); the CSV is kept' },
    ]);
    const nested = x.tables.find((t) => t.key === 'inner.zip/b.csv')!;
    expect(nested.member).toBe('inner.zip/b.csv');
    expect((await collect(f, nested)).map((r) => r.values)).toEqual([['X1', '5'], ['X2', '7']]);
    const book = x.tables.find((t) => t.key === 'book.xlsx!Data#1')!;
    expect(book).toMatchObject({ member: 'book.xlsx', sheet: 'Data', headerRows: [3], firstDataRow: 4, lastDataRow: 6, totalsRows: 1, metadata: { Title: 'Test book' } });
    const rows = await collect(f, book);
    expect(rows.map((r) => [r.values, r.isTotal])).toEqual([[['North', 10], false], [['South', 20], false], [['Total', 30], true]]);
  });

  it('reads .ods without printing to the console', async () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) => vi.spyOn(console, m));
    const x = await describeFile(file('sheet.ods'));
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(x.format).toBe('ods');
    expect(x.tables[0]).toMatchObject({ key: 'Values#1', rowCount: 2 });
    expect(x.tables[0].columns.map((c) => c.type)).toEqual(['text', 'numeric']);
  });

  it('decodes Windows-1252 without mangling £ or –', async () => {
    const f = file('costs.csv');
    const x = await describeFile(f);
    expect(x.encoding).toBe('windows-1252');
    const rows = await collect(f, x.tables[0]);
    expect(rows[0].values).toEqual(['CD – M', '£12']);
    expect(toPgText(rows[0].values[1], x.tables[0].columns[1].type).text).toBe('12');
  });

  it('a CSV with a title and Label:,value lines above the header keeps them as caption and metadata; levels are flagged', async () => {
    const f = file('titled.csv');
    const t = (await describeFile(f)).tables[0];
    expect(t).toMatchObject({ caption: 'Monthly widgets, England', metadata: { Period: 'January 2024', Source: 'NHS England' }, headerRows: [5], firstDataRow: 6, lastDataRow: 11, rowCount: 6 });
    expect(t.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['Breakdown:text', 'Code:text', 'Name:text', 'Count:integer']);
    expect(t.warnings).toEqual(['1 note line(s) after the data were excluded (from line 12)']);
    // National and Region rows are aggregates of the ICB rows: flagged, counted once (the National row is also named "England").
    expect(t.levels).toEqual({ column: 'Breakdown', index: 0, detail: 'ICB', counts: { ICB: 3, Region: 2, National: 1 } });
    expect(t.totalsRows).toBe(3);
    const rows = await collect(f, t);
    expect(rows.map((r) => [r.values[2], r.isTotal])).toEqual([
      ['England', true], ['London', true], ['South West', true], ['North Central London', false], ['South East London', false], ['Devon', false],
    ]);
  });

  it('strips a UTF-8 BOM, keeps quoted commas and counts physical lines across embedded newlines', async () => {
    const f = file('bom.csv');
    const x = await describeFile(f);
    const t = x.tables[0];
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([['Name', 'text'], ['When', 'date']]);
    expect([t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([2, 5, 3]);
    const rows = await collect(f, t);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 5]);
    expect(rows[0].values).toEqual(['Smith, J', '01/05/2025']);
    expect(toPgText(rows[0].values[1], 'date').text).toBe('2025-05-01');
  });
});
