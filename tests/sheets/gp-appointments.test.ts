/**
 * GP appointments: Regional_CSV_Lincolnshire.csv (MONYYYY months, double spaces inside categories)
 * and Mapping.csv (all-text lookup). Expected values read with Python's csv module.
 */
import { describe, expect, it } from 'vitest';
import { describeFile, toPgText } from '../../lib/sheets/index.ts';
import { col, collect, sample } from './helpers.ts';

const lincs = sample('gp-appointments/2021-08-regional-csv/Regional_CSV_Lincolnshire.csv');
const mapping = sample('gp-appointments/2025-08-practice-level-crosstab/Mapping.csv');

describe('GP appointments CSVs', () => {
  it('regional CSV: MAR2019 months are dates, inner double spaces are kept', async () => {
    const x = await describeFile(lincs);
    const t = x.tables[0];
    expect([t.firstDataRow, t.lastDataRow, t.rowCount]).toEqual([2, 6395, 6394]);
    const types = Object.fromEntries(t.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ Appointment_Month: 'date', COUNT_OF_APPOINTMENTS: 'integer', TIME_BETWEEN_BOOK_AND_APPT: 'text', STPNM: 'text' });
    const rows = await collect(lincs, t);
    expect(rows).toHaveLength(6394);
    const first = rows[0].values;
    expect(col(t, first, 'STPNM')).toBe('Lincolnshire  STP');
    expect(col(t, first, 'TIME_BETWEEN_BOOK_AND_APPT')).toBe('1 Day');
    expect(col(t, rows[1].values, 'TIME_BETWEEN_BOOK_AND_APPT')).toBe('15  to 21 Days');
    expect(toPgText(col(t, first, 'Appointment_Month'), 'date').text).toBe('2019-03-01');
    expect(toPgText(col(t, rows[6393].values, 'Appointment_Month'), 'date').text).toBe('2021-08-01');
    expect(col(t, rows[6393].values, 'COUNT_OF_APPOINTMENTS')).toBe('36');
    // "Unknown" is a category value in text columns, never a marker.
    expect(t.columns.find((c) => c.name === 'APPT_STATUS')!.markers).toEqual({});
    expect(toPgText('Unknown', 'text')).toEqual({ text: 'Unknown', marker: null });
  });

  it('mapping CSV: all text, 6,196 rows', async () => {
    const x = await describeFile(mapping);
    const t = x.tables[0];
    expect(t.rowCount).toBe(6196);
    expect(t.columns.every((c) => c.type === 'text')).toBe(true);
    expect(t.columns.map((c) => c.name)).toEqual(['GP_CODE', 'GP_NAME', 'SUPPLIER', 'PCN_CODE', 'PCN_NAME', 'SUB_ICB_LOCATION_CODE', 'SUB_ICB_LOCATION_NAME', 'ICB_CODE', 'ICB_NAME', 'REGION_CODE', 'REGION_NAME']);
    const rows = await collect(mapping, t);
    expect(rows[6195].values[0]).toBe('Y08371');
    expect(rows[0].values[6]).toBe('NHS North East and North Cumbria ICB - 16C');
  });
});
