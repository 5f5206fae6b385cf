/**
 * Patients Registered at a GP Practice, Jan 2021 (UTF-8 CSV, CRLF, 6,658 rows). Expected values were
 * read with Python's csv module (first/last rows, counts), not with this library.
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { collect, sample } from './helpers.ts';

const file = sample('gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv');

describe('GP registered patients CSV', () => {
  it('describes the single table with header on line 1', async () => {
    const x = await describeFile(file);
    expect([x.format, x.encoding, x.skipped.length]).toEqual(['csv', 'utf-8', 0]);
    const t = x.tables[0];
    expect(t.key).toBe('');
    expect([t.headerRows, t.firstDataRow, t.lastDataRow, t.rowCount, t.totalsRows]).toEqual([[1], 2, 6659, 6658, 0]);
    expect(t.columns.map((c) => `${c.sourceColumn}:${c.name}:${c.type}`)).toEqual([
      '1:PUBLICATION:text',
      '2:EXTRACT_DATE:date',
      '3:TYPE:text',
      '4:CCG_CODE:text',
      '5:ONS_CCG_CODE:text',
      '6:CODE:text',
      '7:POSTCODE:text',
      '8:SEX:text',
      '9:AGE:text',
      '10:NUMBER_OF_PATIENTS:integer',
    ]);
  });

  it('streams every row with exact values; 01JAN2021 converts to an ISO date', async () => {
    const x = await describeFile(file);
    const rows = await collect(file, x.tables[0]);
    expect(rows).toHaveLength(6658);
    expect(rows[0]).toEqual({ row: 2, isTotal: false, kind: 'detail', values: ['GP_PRAC_PAT_LIST', '01JAN2021', 'GP', '00L', 'E38000130', 'A84002', 'NE65 7UW', 'ALL', 'ALL', '5903'] });
    expect(rows[6657].values.slice(3)).toEqual(['99M', 'E38000118', 'J82630', 'GU14 6DH', 'ALL', 'ALL', '5518']);
    expect(toPgText(rows[0].values[1], 'date').text).toBe('2021-01-01');
    expect(toPgText(rows[0].values[9], 'integer').text).toBe('5903');
  });
});
