/**
 * RTT NonAdmitted provider workbook (4.6 MB, 44 MB of XML). Expected values from a throwaway SheetJS
 * script: 118 header cells on row 14 ending "Total 65 plus weeks" in DO, 150 C_999 total rows,
 * last data row 3614 on Provider and 7886 on IS Provider; Notes and Guidance have zero cells.
 */
import { describe, expect, it } from 'vitest';
import { describeFile } from '../../lib/sheets/index.ts';
import { col, collect, sample, table } from './helpers.ts';

const file = sample('rtt-waiting-times/NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx');

describe('RTT non-admitted provider workbook (large xlsx)', () => {
  it('extracts both provider sheets, flags C_999 totals and skips the empty sheets', async () => {
    const x = await describeFile(file);
    expect(x.skipped).toEqual([
      { sheet: 'Notes', reason: 'no cells (text lives in drawings or a chart)' },
      { sheet: 'Guidance', reason: 'no cells (text lives in drawings or a chart)' },
    ]);
    const p = table(x.tables, 'Provider#1');
    expect(p.headerRows).toEqual([13, 14]);
    expect([p.firstDataRow, p.lastDataRow, p.rowCount, p.totalsRows]).toEqual([15, 3614, 3600, 150]);
    expect(p.caption).toBe('Provider Level Data');
    expect(p.metadata).toMatchObject({ Period: 'September 2025', Published: '13th November 2025', Revised: 'N/A' });
    expect(p.columns).toHaveLength(118);
    expect(p.columns[0]).toMatchObject({ sourceColumn: 'B', name: 'Region Code', type: 'text' });
    expect(p.columns[5]).toMatchObject({ sourceColumn: 'G', name: '>0-1', type: 'integer', rawHeader: 'The number of completed pathways by week since referral | >0-1' });
    expect(p.columns[117]).toMatchObject({ sourceColumn: 'DO', name: 'Total 65 plus weeks' });
    const is = table(x.tables, 'IS Provider#1');
    expect([is.lastDataRow, is.totalsRows]).toEqual([7886, 328]);

    const rows = await collect(file, p);
    expect(rows).toHaveLength(3600);
    expect(rows[0].values.slice(0, 6)).toEqual(['Y56', 'R1H', 'BARTS HEALTH NHS TRUST', 'C_100', 'General Surgery Service', 29]);
    const last = rows[rows.length - 1];
    // Each provider's block of 24 treatment functions closes with a C_999 "Total" row: a subtotal of the table.
    expect(last).toMatchObject({ row: 3614, isTotal: true, kind: 'subtotal' });
    expect(col(p, last.values, 'Treatment Function Code')).toBe('C_999');
    expect(col(p, last.values, 'Treatment Function')).toBe('Total');
    expect(rows.filter((r) => r.isTotal)).toHaveLength(150);
    expect(rows.filter((r) => r.kind === 'subtotal').map((r) => col(p, r.values, 'Treatment Function Code'))).toEqual(new Array(150).fill('C_999'));
    expect(rows.filter((r) => col(p, r.values, 'Treatment Function Code') !== 'C_999').every((r) => r.kind === 'detail')).toBe(true);
    expect(p.rowKinds).toEqual({ detail: 3450, total: 0, subtotal: 150, derived: 0 });
  });
});
