import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as XLSX from '@e965/xlsx';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { periodFromText } from '../../lib/period-text.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/nhs-samples');
const label = (text: string): string | undefined => periodFromText(text)?.label;

describe('periodFromText: the file names in tests/fixtures/nhs-samples/SOURCES.md', () => {
  it.each([
    ['Monthly-AE-Time-Series-January-2024.xls', '2024-01'],
    ['Monthly-AE-Time-Series-March-2024.xls', '2024-03'],
    ['Monthly-AE-Time-Series-March-2026-F5ldj2.xls', '2026-03'],
    ['Monthly-AE-Time-Series-March-2026-F5ldj2 (1).xls', '2026-03'], // the committing repo's browser suffix
    ['RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx', '2022-06'],
    ['rtt-data_RTT-Overview-Timeseries-Jul23.xlsx', '2023-07'],
    ['rtt-data.xlsx', undefined],
    ['NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx', '2025-09'],
    ['Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx', '2025-09'],
    ['gp-reg-pat-prac-all.csv', undefined], // same name every month: the period is on the page
    ['Regional_CSV_Lincolnshire.csv', undefined],
    ['Mapping.csv', undefined],
    ['Practice_Level_Crosstab_Aug_25.zip', '2025-08'],
    ['Primary Care Networks – March 2020 Individual Level.csv', '2020-03'],
    ['Primary Care Networks – June 2021 Individual Level.csv', '2021-06'],
    ['Primary Care Networks – September 2022 Individual Level.csv', '2022-09'],
    ['1.Primary Care Networks – March 2020 Individual Level.csv', '2020-03'], // repo's numeric prefix
    ['oaps-open-data-oct-2016.csv', '2016-10'],
    ['oaps-open-data-dec-2016.csv', '2016-12'],
    ['oaps-open-data-feb-2017.csv', '2017-02'],
    ['gpearnextime_202223.xlsx', 'FY2022-23'],
    ['gpearnextime_202223 (3).xlsx', 'FY2022-23'],
    ['CCG_1_2_I00754_D.xls', undefined],
    ['Time Series 1718.csv', 'FY2017-18'],
    ['Time Series Hip and Knee Replacement 1819.csv', 'FY2018-19'],
    ['Time Series 1718.csv.zip', 'FY2017-18'],
    ['CSV Data Pack Final 1718.zip', 'FY2017-18'],
    ['PROMs CSV Data Pack Finalised 2018-19.zip', 'FY2018-19'],
  ])('%s → %s', (name, expected) => {
    expect(label(name)).toBe(expected);
  });

  it.each([
    // The upload folder (2024/04) is the publication month, never the data month.
    ['https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls', '2024-03'],
    ['https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx', '2025-09'],
    ['https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv', undefined],
    ['https://files.digital.nhs.uk/70/5176AA/CSV%20Data%20Pack%20Final%201718.zip', 'FY2017-18'],
    ['https://files.digital.nhs.uk/52/A8FF7F/PROMs%20CSV%20Data%20Pack%20Finalised%202018-19.zip', 'FY2018-19'],
    ['https://digital.nhs.uk/data-and-information/publications/statistical/appointments-in-general-practice/august-2021', '2021-08'],
    ['https://digital.nhs.uk/data-and-information/publications/statistical/ccg-outcomes-indicator-set/october-2020', '2020-10'],
    ['https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/rtt-data-2025-26/', 'FY2025-26'],
    // A path into the download store: the sha256 folder holds digit runs such as 202511.
    ['downloads/9f202511e3a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f/gp-reg-pat-prac-all.csv', undefined],
    ['C:\\data\\2019\\Monthly-AE-Time-Series-January-2024.xls', '2024-01'],
  ])('URL or path %s → %s', (url, expected) => {
    expect(label(url)).toBe(expected);
  });
});

describe('periodFromText: real file names from datawarp.md §8.1 and §10.2 and nhs-data.md', () => {
  it.each([
    ['ADHD_summary_Nov25.xlsx', '2025-11'], // the old system read "mar" inside "summary"
    ['ADHD_May25.csv', '2025-05'],
    ['MHSDS_historic.csv', undefined],
    ['Data_dictionary_v1.1.xlsx', undefined],
    ['Data_dictionary_v1.2.xlsx', undefined],
    ['OpenSAFELY%20-%20Additional%20data%20tables.zip', undefined],
    ['NHS%20Sickness%20Absence%20rates%2C%20July%202025.xlsx', '2025-07'],
    ['Incomplete-Provider-Apr25-XLSX-9M-77252.xlsx', '2025-04'],
    ['Incomplete-Provider-Jul25-XLSX-9M-revised.xlsx', '2025-07'],
    ['Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx', '2025-10'],
    ['Incomplete-Provider-Nov25-XLSX-9M-1Xmjkk.xlsx', '2025-11'],
    ['WLMDS-Summary-to-28-Dec-2025.xlsx', '2025-12-28'],
    ['December-2025-AE-by-provider-Sa9Xc.xls', '2025-12'],
    ['August-2025-AE-by-provider-0G7Wh-revised-v2-1.xls', '2025-08'],
    ['April-2025-AE-by-provider-sfo2q-revised.xls', '2025-04'],
    ['November-2025-AE-by-provider-0Qu74-1.xls', '2025-11'],
    ['June-2021-AE-by-provider-j47iI.xls', '2021-06'],
    ['Quarter-3-2025-26-AE-by-provider-jvRWD.xls', 'FY2025-26-Q3'],
    ['Quarter-2-2025-2026-AE-by-provider-fa97L-revised-v2-1.xls', 'FY2025-26-Q2'],
    ['Adjusted-Monthly-AE-Time-Series-September-2022.xls', '2022-09'],
    ['Monthly-Diagnostics-Web-File-Commissioner-February-2025_FT49R.xls', '2025-02'],
    ['Monthly-Diagnostics-Web-File-Timeseries-November-2025_8HM0N.xls', '2025-11'],
    ['MSA-January-2024-67402.xlsx', '2024-01'],
    ['MSA-April-2024-37591-v3.xlsx', '2024-04'],
    ['MSA-May-2024-52767-1.xlsx', '2024-05'],
    ['MSA-August-2024-v2.xlsx', '2024-08'],
    ['MSA-November-2024-4.xlsx', '2024-11'],
    ['MSA-January-2025-REVISED-BGDFE.xlsx', '2025-01'],
    ['MSA-March-2025-GBUYT.xlsx', '2025-03'],
    ['MSA-April-2025-DWTYU.xlsx', '2025-04'],
    // Financial year + calendar month number: the same names spell the month out (Mar_25, Nov_25).
    ['MSA_2024-25_03_fullextract_Mar_25_REVISED.csv', '2025-03'],
    ['MSA_2025-26_11_fullextract_Nov_25-51121BZ_FINAL.csv', '2025-11'],
    ['Beds-Open-Overnight-Web_File-Q1-2024-25-revised.xlsx', 'FY2024-25-Q1'],
    ['Beds-Open-Overnight-Web_File-Q4-2024-25.xlsx', 'FY2024-25-Q4'],
    ['Beds-Open-Day-Only-Web_File-Q1-2024-25-revised.xlsx', 'FY2024-25-Q1'],
    ['Q4-2023-24-Operating-Theatres-WCHYT-3.xlsx', 'FY2023-24-Q4'],
    ['Q1-2025-26-Operating-Theatres.xlsx', 'FY2025-26-Q1'],
    // Ranges give their end: the newest month the file covers.
    ['CWT-CRS-Apr-2025-to-Nov-2025-Data-Extract-Provider.xlsx', '2025-11'],
    ['Beds-publication-Timeseries-March-2020-December-2025.xlsx', '2025-12'],
    ['AmbSYS-to-Dec-2025-YHG5D.csv', '2025-12'],
    // A day written inside a financial year is the narrower, more useful answer.
    ['2024-25-C2-times-by-ICB-ends-20250330.xlsx', '2025-03-30'],
    ['2025-26-C2-by-ICB-ends-20251228-YHG5D.xlsx', '2025-12-28'],
    ['Ambulance-Collection-Web-File-January-2024.xlsx', '2024-01'],
    ['Ambulance-Collection-Web-File-Feb24.xlsx', '2024-02'],
    ['DAC-handovers-Jan25.xlsx', '2025-01'],
    ['Handovers-DAC-Feb-2025.xlsx', '2025-02'],
    ['DAC-handovers-Apr-25.xlsx', '2025-04'],
    ['Handovers-by-trust-in-Aug-2025.xlsx', '2025-08'],
    ['Sep-2025-Handover-times.xlsx', '2025-09'],
    ['Full-CSV-data-file-Nov25-ZIP-4M-1Xmjkk.zip', '2025-11'],
    ['Full-CSV-data-file-Apr24-ZIP-3855K-11417.zip', '2024-04'],
    ['Full-CSV-data-file-Mar26-ZIP-4M-Dc1i9U.zip', '2026-03'],
    ['NonAdmitted-Provider-Apr-22-XLS-8573K-57873.xls', '2022-04'],
    // The extract date of April's data is not a narrower period than April.
    ['20240430-RTT-April-2024-full-extract-revised.csv', '2024-04'],
    ['October-2025-Monthly-Combined-CSV-Provisional.csv', '2025-10'],
    ['Annual-CSV-2023-24-Published-May-2024-59834-1.zip', 'FY2023-24'],
    ['MRR_Comm-Web-file-January-2024-80643.xlsx', '2024-01'],
    ['Appointments_GP_Daily_Oct21.zip', '2021-10'],
    ['Appointments_GP_Daily_CSV_Apr_24.zip', '2024-04'],
    ['Appointments_GP_Regional_CSV_Aug_23.zip', '2023-08'],
    ['gp-reg-pat-prac-lsoa-male-female-jul-19.zip', '2019-07'],
    ['gp-reg-pat-prac-lsoa-male-female-Apr-24.zip', '2024-04'],
    ['MHSDS Data_AprPrf_2021.csv', '2021-04'],
    ['MHSDS%20Data_JanPerf_2026.zip', '2026-01'],
    ['MHSDS Data_Rstr_SepPrf_2023.csv', '2023-09'],
    ['Primary Care Networks - April 2024 Individual Level.csv', '2024-04'],
    ['csds_ucr-msk_dqmi_csv-mar-24.csv', '2024-03'],
  ])('%s → %s', (name, expected) => {
    expect(label(name)).toBe(expected);
  });
});

describe('periodFromText: the tolerated spellings', () => {
  it.each([
    ['Jan24', '2024-01'], ['Jan-24', '2024-01'], ['January-2024', '2024-01'], ['Jan_24', '2024-01'], ['JANUARY 2024', '2024-01'],
    ['MAR2019', '2019-03'], ['01JAN2021', '2021-01-01'], ['01AUG2025', '2025-08-01'], ['September 2025', '2025-09'],
    ['Sept 2025', '2025-09'], ['Q2-2025-26', 'FY2025-26-Q2'], ['Quarter-3-2025-26', 'FY2025-26-Q3'], ['q2-2526', 'FY2025-26-Q2'],
    ['2024-25 Q3', 'FY2024-25-Q3'], ['FY2024-25-Q1', 'FY2024-25-Q1'], ['FY 2024/25', 'FY2024-25'], ['2024-25_03', '2025-03'],
    ['2025-26_04', '2025-04'], ['1718', 'FY2017-18'], ['2022/23', 'FY2022-23'], ['2025-2026', 'FY2025-26'], ['202511', '2025-11'],
    ['2025-11', '2025-11'], ['2025_11', '2025-11'], ['2017/02', '2017-02'], ['122025', '2025-12'], ['2026-02-01', '2026-02-01'],
    ['20251228', '2025-12-28'], ['01/05/2025', '2025-05-01'], ['29/02/2024', '2024-02-29'], ['8th February 2024', '2024-02-08'],
    ['31-october-2025', '2025-10-31'], ['February 8th, 2024', '2024-02-08'], ['Mar-25', '2025-03'], ['mar_25_8', '2025-03'],
    ['MSitAE-FEBRUARY-2026', '2026-02'], ['Modelled_Records_2017', '2017'],
    // Ranges: the end.
    ['April 2007 to June 2022', '2022-06'], ['Apr-2025-to-Nov-2025', '2025-11'], ['March-2020-December-2025', '2025-12'],
    ['Jan-Sep 2025', '2025-09'], ['01/01/2019 to 31/12/2019', '2019-12-31'],
  ])('%s → %s', (text, expected) => {
    expect(label(text)).toBe(expected);
  });

  it.each([
    ['August 2010 - present', 'an open range has no end to report'],
    ['April 2020 to date', 'an open range has no end to report'],
    ['Published: 8th February 2024', 'a publication date is not the data period'],
    ['Q1 2025', 'a quarter without a financial year may be calendar or financial'],
    ['summary', 'month words must be whole words'],
    ['ADHD_summary', 'month words must be whole words'],
    ['XLSX-4M-87700', 'size tokens and numeric ids'],
    ['F5ldj2 1Xmjkk SrRW6y _8HM0N 51121BZ', 'random ids'],
    ['REVISED FINAL Provisional -v2-1', 'revision markers'],
  ])('%j → nothing (%s)', (text) => {
    expect(label(text)).toBeUndefined();
  });

  it('a day inside a month written next to it is not preferred over the month, but a day inside a year is', () => {
    expect(label('2024-04 2024-04-30')).toBe('2024-04');
    expect(label('2024 2024-04-30')).toBe('2024-04-30');
  });
});

describe('periodFromText: periods written inside the real sample files', () => {
  it('reads every Appointment_Month of the GP appointments regional CSV (MONYYYY): 30 months, Mar 2019 to Aug 2021', () => {
    const csv = readFileSync(path.join(SAMPLES, 'gp-appointments/2021-08-regional-csv/Regional_CSV_Lincolnshire.csv'), 'utf8');
    const rows = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;
    const months = [...new Set(rows.map((r) => r.Appointment_Month!))];
    const labels = months.map(label).sort();
    expect(labels).toHaveLength(30);
    expect(labels.every((l) => l !== undefined && /^\d{4}-\d{2}$/.test(l))).toBe(true);
    expect(labels[0]).toBe('2019-03');
    expect(labels.at(-1)).toBe('2021-08');
  });

  it('reads EXTRACT_DATE of GP registered patients (01JAN2021) and the OAP PublicationPeriod/PublicationDate (2017/02, 2017/04)', () => {
    const gp = Papa.parse<Record<string, string>>(readFileSync(path.join(SAMPLES, 'gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data;
    expect([...new Set(gp.map((r) => label(r.EXTRACT_DATE!)))]).toEqual(['2021-01-01']);
    const oap = Papa.parse<Record<string, string>>(readFileSync(path.join(SAMPLES, 'out-of-area-placements/oaps-open-data-feb-2017.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data;
    expect(oap).toHaveLength(12236);
    expect([...new Set(oap.map((r) => label(r.PublicationPeriod!)))]).toEqual(['2017-02']);
    expect([...new Set(oap.map((r) => label(r.PublicationDate!)))]).toEqual(['2017-04']);
  });

  it('reads the metadata blocks of the RTT overview and A&E time series workbooks', () => {
    const cells = (file: string): string[] => {
      const wb = XLSX.read(readFileSync(path.join(SAMPLES, file)), { sheetRows: 12 });
      const rows = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets[wb.SheetNames[0]!]!, { header: 1, defval: null });
      return rows.map((r) => r.filter((c) => c !== null).join(' '));
    };
    const rtt = cells('rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx');
    expect(rtt[3]).toBe('Period: April 2007 to June 2022');
    expect(label(rtt[3]!)).toBe('2022-06');
    expect(label(rtt.slice(0, 8).join('\n'))).toBe('2022-06');
    const ae = cells('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2026-F5ldj2.xls');
    expect(ae[3]).toBe('Period: August 2010 - present');
    expect(ae[6]).toBe('Published: 16th April 2026');
    // "present" and "Published" leave nothing: the month must come from the file name or the data.
    expect(label(ae.slice(0, 11).join('\n'))).toBeUndefined();
  });
});
