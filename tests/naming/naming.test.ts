/**
 * Table and column names: dates, periods, upload ids, sizes and revisions never reach a name (the old system
 * made one table per month out of them), and identifiers fit PostgreSQL's 63 bytes without colliding.
 */
import { describe, expect, it } from 'vitest';
import { columnNames, columnSimilarity, fitIdent, MAX_IDENT, nameStem, tableName } from '../../lib/naming.ts';

describe('nameStem', () => {
  it.each([
    ['Monthly-AE-Time-Series-January-2024.xls', 'monthly_ae_time_series'],
    ['Monthly-AE-Time-Series-March-2026-F5ldj2.xls', 'monthly_ae_time_series'],
    ['RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx', 'rtt_overview_timeseries'],
    ['NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx', 'non_admitted_provider'],
    ['Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx', 'incomplete_provider'],
    ['Incomplete-Provider-Nov25-XLSX-9M-1Xmjkk.xlsx', 'incomplete_provider'],
    ['August-2025-AE-by-provider-0G7Wh-revised-v2-1.xls', 'ae_by_provider'],
    ['December-2025-AE-by-provider-Sa9Xc.xls', 'ae_by_provider'],
    ['Monthly-Diagnostics-Web-File-Provider-November-2025_8HM0N.xls', 'monthly_diagnostics_web_file_provider'],
    ['Beds-Open-Overnight-Web_File-Q1-2024-25-revised.xlsx', 'beds_open_overnight_web_file'],
    ['oaps-open-data-oct-2016.csv', 'oaps_open_data'],
    ['oaps-open-data-feb-2017.csv', 'oaps_open_data'],
    ['Primary Care Networks – March 2020 Individual Level.csv', 'primary_care_networks_individual_level'],
    ['Primary Care Networks – September 2022 Individual Level.csv', 'primary_care_networks_individual_level'],
    ['ADHD_summary_Nov25.xlsx', 'adhd_summary'],
    ['gp-reg-pat-prac-all.csv', 'gp_reg_pat_prac_all'],
  ])('%s → %s', (file, stem) => {
    expect(nameStem(file)).toBe(stem);
  });
});

describe('identifiers', () => {
  it('a 329-character header (the old system overflowed VARCHAR(255)) fits 63 bytes, and two such headers stay distinct', () => {
    const long = `Number of patients waiting more than 18 weeks ${'and a very long qualification of the measure '.repeat(7)}`.slice(0, 329);
    const [a, b] = columnNames([long, `${long.slice(0, 300)} (adjusted)`]);
    expect(long).toHaveLength(329);
    expect(a.length).toBeLessThanOrEqual(MAX_IDENT);
    expect(b.length).toBeLessThanOrEqual(MAX_IDENT);
    expect(a).not.toBe(b);
    expect(fitIdent('x'.repeat(100))).toMatch(/^x{56}_[0-9a-f]{6}$/);
  });

  it('repeated headers get numbered, leading digits and symbols become valid names', () => {
    expect(columnNames(['Type 1 Departments - Major A&E', 'Type 1 Departments - Major A&E', '2002/03', '%', ''])).toEqual([
      'type_1_departments_major_a_and_e',
      'type_1_departments_major_a_and_e_2',
      'c_2002_03',
      'pct',
      'column_5',
    ]);
  });

  it('table names carry the publication once and never a period', () => {
    const base = { publication: 'ae', sheet: 'Activity', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 3 };
    expect(tableName({ ...base, fileName: 'Monthly-AE-Time-Series-January-2024.xls' })).toBe('ae_monthly_ae_time_series_activity');
    expect(tableName({ ...base, fileName: 'Monthly-AE-Time-Series-March-2026-F5ldj2.xls' })).toBe('ae_monthly_ae_time_series_activity');
    expect(tableName({ publication: 'oaps', fileName: 'oaps-open-data-oct-2016.csv', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 1 })).toBe('oaps_open_data');
  });

  it('column similarity ignores year tokens, so a wide time series growing a year still matches', () => {
    const y1718 = ['org_code', 'modelled_records_2016', 'modelled_records_2017', 'outlier_2017'];
    const y1819 = ['org_code', 'modelled_records_2016', 'modelled_records_2017', 'modelled_records_2018', 'outlier_2017', 'outlier_2018'];
    expect(columnSimilarity(y1718, y1819)).toBe(1);
    expect(columnSimilarity(['a', 'b'], ['c', 'd'])).toBe(0);
  });
});
