/**
 * Table and column names: dates, periods, upload ids, sizes and revisions never reach a name (the old system
 * made one table per month out of them), and identifiers fit PostgreSQL's 63 bytes without colliding.
 */
import { describe, expect, it } from 'vitest';
import { columnNames, columnSimilarity, fitIdent, MAX_IDENT, nameStem, tableName } from '../../lib/naming/index.ts';

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
  it('a 329-character header (the old system overflowed VARCHAR(255)) fits 63 bytes by words, and two such headers stay distinct', () => {
    const long = `Number of patients waiting more than 18 weeks ${'and a very long qualification of the measure '.repeat(7)}`.slice(0, 329);
    const [a, b] = columnNames([long, `${long.slice(0, 300)} (adjusted)`]);
    expect(long).toHaveLength(329);
    expect(a.length).toBeLessThanOrEqual(MAX_IDENT);
    expect(b.length).toBeLessThanOrEqual(MAX_IDENT);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^no_pts_waiting_gt_18_weeks_/); // abbreviated, the comparison kept, no hash
    expect(a).not.toMatch(/_[0-9a-f]{6}$/);
  });

  it('repeated headers get numbered, leading digits and symbols become valid names', () => {
    expect(columnNames(['Type 1 Departments - Major A&E', 'Type 1 Departments - Major A&E', '2002/03', '%', ''])).toEqual([
      'type_1_departments_major_ae',
      'type_1_departments_major_ae_2',
      'c_2002_03',
      'pct',
      'column_5',
    ]);
  });

  it('comparisons are kept as words: < 4 hours and > 4 hours never become one name', () => {
    expect(columnNames(['Total Attendances < 4 hours', 'Total Attendances > 4 hours', 'Booked <= 4 hours', 'No. > 18 weeks', '≥ 65'])).toEqual([
      'total_attendances_lt_4_hours',
      'total_attendances_gt_4_hours',
      'booked_le_4_hours',
      'no_gt_18_weeks',
      'ge_65',
    ]);
  });

  it('a long group keeps its comparison and every leaf keeps its distinction (A&E Performance)', () => {
    const group = 'A&E attendances less than 4 hours from arrival to admission, transfer or discharge';
    const names = columnNames([`${group} - Type 1 Departments - Major A&E`, `${group} - Type 2 Departments - Single Specialty`, `${group} - Type 3 Departments - Other A&E/Minor Injury Unit`]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(MAX_IDENT);
    expect(names.map((n) => /^ae_att_lt_4_hours_/.test(n))).toEqual([true, true, true]);
    expect(names.map((n) => /type_(\d)/.exec(n)?.[1])).toEqual(['1', '2', '3']);
  });

  it('a user\'s own long name is shortened by words, never hashed', () => {
    expect(fitIdent('x'.repeat(100))).toHaveLength(MAX_IDENT);
    expect(fitIdent(`${'number_of_patients_'.repeat(5)}end`)).not.toMatch(/_[0-9a-f]{6}$/);
  });

  it('table names carry the publication once and never a period or a file id', () => {
    const base = { publication: 'ae', sheet: 'Activity', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 3 };
    expect(tableName({ ...base, fileName: 'Monthly-AE-Time-Series-January-2024.xls' }).name).toBe('ae_activity');
    expect(tableName({ ...base, fileName: 'Monthly-AE-Time-Series-March-2026-F5ldj2.xls' }).name).toBe('ae_activity');
    expect(tableName({ publication: 'oaps', fileName: 'oaps-open-data-oct-2016.csv', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 1 }).name).toBe('oaps_open_data');
    // Several files of one period: the file's name tells their tables apart.
    expect(tableName({ ...base, fileName: 'Monthly-AE-Time-Series-January-2024.xls', filesWithTables: 2 }).name).toBe('ae_monthly_time_series_activity');
  });

  it('table names come from captions and sheet titles before file names, without words the publication already says', () => {
    const gp = { publication: 'gp_earnings', fileName: 'gpearnextime_202223.xlsx', sheetsWithTables: 40 };
    expect(tableName({ ...gp, sheet: 'England Summary Results', caption: 'Table E4 - GPMS contractor GPs - median earnings and expenses by contract type [note 32]', indexInSheet: 4, tablesInSheet: 10 }).name)
      .toBe('gp_earnings_e4_gpms_contr_gps_median_earn_exp_by_contract_type');
    expect(tableName({ ...gp, sheet: '1a. Contractor earn. by country', indexInSheet: 1, tablesInSheet: 1 }).name).toBe('gp_earnings_1a_contractor_earn_by_country');
    const ccg = { publication: 'ccg_outcomes', fileName: 'CCG_1_2_I00754_D.xls', sheet: 'Data', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 1 };
    expect(tableName({ ...ccg, caption: 'CCG OIS Indicator 1.2 - Under 75 mortality from cardiovascular disease' }).name).toBe('ccg_outcomes_ois_ind_1_2_under_75_mortality_from_cvd');
    const rtt = { publication: 'rtt_nonadmitted_provider', fileName: 'NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx', indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 2 };
    expect([tableName({ ...rtt, sheet: 'Provider' }).name, tableName({ ...rtt, sheet: 'IS Provider' }).name]).toEqual(['rtt_nonadmitted_provider', 'rtt_nonadmitted_provider_is_provider']);
  });

  it('column similarity ignores year tokens, so a wide time series growing a year still matches', () => {
    const y1718 = ['org_code', 'modelled_records_2016', 'modelled_records_2017', 'outlier_2017'];
    const y1819 = ['org_code', 'modelled_records_2016', 'modelled_records_2017', 'modelled_records_2018', 'outlier_2017', 'outlier_2018'];
    expect(columnSimilarity(y1718, y1819)).toBe(1);
    expect(columnSimilarity(['a', 'b'], ['c', 'd'])).toBe(0);
  });
});
