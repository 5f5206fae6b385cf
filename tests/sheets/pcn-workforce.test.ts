/**
 * PCN Workforce individual-level CSVs (Windows-1252, en dash as byte 0x96). Expected values read with
 * Python's csv module using cp1252 (row counts, first/last rows, 105/652/825 en-dash roles).
 */
import { readFile } from 'node:fs/promises';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { col, collect, sample } from './helpers.ts';

const files = {
  mar20: sample('pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv'),
  jun21: sample('pcn-workforce/Primary Care Networks – June 2021 Individual Level.csv'),
  sep22: sample('pcn-workforce/Primary Care Networks – September 2022 Individual Level.csv'),
};

describe('PCN workforce CSVs (cp1252)', () => {
  it('detects Windows-1252 and keeps the en dash', async () => {
    const x = await describeFile(files.mar20);
    expect(x.encoding).toBe('windows-1252');
    const t = x.tables[0];
    expect(t.rowCount).toBe(534);
    const types = Object.fromEntries(t.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ CENSUS_YEAR: 'integer', CENSUS_MONTH: 'integer', FTE: 'numeric', PCN_CODE: 'text', UNIQUE_IDENTIFIER: 'text' });
    const rows = await collect(files.mar20, t);
    expect(rows.filter((r) => String(col(t, r.values, 'DETAILED_STAFF_ROLE')).includes('–'))).toHaveLength(105);
    expect(col(t, rows[0].values, 'FTE')).toBe('0.986666667');
    // Trailing spaces as published are trimmed.
    expect(col(t, rows[533].values, 'SUB_ICB_NAME')).toBe('NHS Birmingham and Solihull ICB - 15E');
  });

  it('June 2021: the 4,947 cells published with leading or trailing spaces come out trimmed, inner text intact', async () => {
    // Independent read: bytes as latin1 (cp1252 differs only in 0x80-0x9F, and this file's only such byte is 0x96, the en dash), split by papaparse.
    const text = (await readFile(files.jun21.path)).toString('latin1');
    expect(text.match(/[\u0080-\u009f]/g)?.every((c) => c === '\u0096')).toBe(true);
    const raw = Papa.parse<string[]>(text.replace(/\u0096/g, '–'), { skipEmptyLines: true }).data.slice(1);
    const padded = raw.flat().filter((v) => v !== v.trim());
    expect(padded).toHaveLength(4947);
    const x = await describeFile(files.jun21);
    const rows = await collect(files.jun21, x.tables[0]);
    expect(rows).toHaveLength(raw.length);
    expect(rows.flatMap((r) => r.values).filter((v) => typeof v === 'string' && v !== v.trim())).toEqual([]);
    // Same cells, trimmed: every published value reappears once its padding is removed.
    expect(rows.map((r) => r.values.map((v) => v ?? '').join('|'))).toEqual(raw.map((r) => r.map((v) => v.trim()).join('|')));
  });

  it('later periods: same header, more rows', async () => {
    const [b, c] = await Promise.all([describeFile(files.jun21), describeFile(files.sep22)]);
    expect(b.tables[0].rowCount).toBe(9249);
    expect(c.tables[0].rowCount).toBe(17239);
    expect(b.tables[0].columns.map((x) => x.name)).toEqual(c.tables[0].columns.map((x) => x.name));
    const rows = await collect(files.sep22, c.tables[0]);
    expect(rows.filter((r) => String(r.values[13]).includes('–'))).toHaveLength(825);
    expect(rows[0].values.slice(12, 16)).toEqual(['Physician Associates', 'Physician Associate', '1', '106228']);
  });
});

describe('Windows-1252 decoding', () => {
  it('maps 0x80–0x9F to their characters in every call, not to C1 controls (Node 20\'s plain decode() does)', async () => {
    const { textDecoder } = await import('../../lib/sheets/csv.ts');
    const bytes = Uint8Array.from([0x43, 0x44, 0x20, 0x96, 0x20, 0x80, 0x35, 0x93, 0x71, 0x94, 0xa3]);
    expect(textDecoder('windows-1252').decode(bytes)).toBe('CD – €5“q”£');
    expect(textDecoder('windows-1252').decode(bytes, { stream: true })).toBe('CD – €5“q”£');
  });
});
