import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, type PipelineConfig } from '../../lib/config/index.ts';
import { periodFromText } from '../../lib/period-text.ts';
import { parsePeriod, periodContains } from '../../lib/periods.ts';

const FILE = 'config/publications.yaml';

const VALID = `# A config that uses every feature.
publications:
  adhd:
    name: ADHD Management Information
    landing_page: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd
    periods:
      - period: 2025-05
        url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025
      - period: 2025-11-30
        url: https://files.digital.nhs.uk/02/F0E82B/OpenSAFELY - Additional data tables.zip
      - period: 2024
        url: downloads/adhd-calendar-2024.csv
      - period: FY2024-25
        url: file:///data/nhs/MSA_2024-25_03_fullextract_Mar_25_REVISED.csv
      - period: FY2025-26-Q3
        url: ../shared/Quarter-3-2025-26-AE-by-provider-jvRWD.xls
    overrides:
      include_sheets: ["Chart Data", "2a. GPMS by Age & Gender "]
      tables:
        adhd_summary_table_1:
          name: adhd_open_referrals
          description: Open referrals that may be for an ADHD assessment
          columns:
            value: { name: referrals, type: integer, description: People with an open referral }
            reporting_period_start_date: { type: date }
        adhd_data_quality:
          skip: true
  rtt_incomplete_provider:
    name: RTT - Incomplete Pathways by Provider
    periods:
      - period: 2025-09
        url: https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx
`;

const loc = (line: number, col: number) => ({ file: FILE, line, col });

/** The config without positions: what must not change when only layout changes. */
function withoutLocs(config: PipelineConfig): unknown {
  return JSON.parse(JSON.stringify(config, (key, value) => (key === 'loc' || key === 'locations' ? undefined : value)));
}

describe('parseConfig: a valid config', () => {
  it('gives every value, typed, in file order, with positions', () => {
    const config = parseConfig(VALID, FILE);
    expect(config).toEqual({
      file: FILE,
      dir: path.resolve('config'),
      warnings: [],
      publications: [
        {
          code: 'adhd',
          name: 'ADHD Management Information',
          landingPage: 'https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd',
          loc: loc(3, 3),
          periods: [
            { period: parsePeriod('2025-05'), url: 'https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025', loc: loc(7, 9) },
            { period: parsePeriod('2025-11-30'), url: 'https://files.digital.nhs.uk/02/F0E82B/OpenSAFELY%20-%20Additional%20data%20tables.zip', loc: loc(9, 9) },
            { period: parsePeriod('2024'), url: 'downloads/adhd-calendar-2024.csv', loc: loc(11, 9) },
            { period: parsePeriod('FY2024-25'), url: 'file:///data/nhs/MSA_2024-25_03_fullextract_Mar_25_REVISED.csv', loc: loc(13, 9) },
            { period: parsePeriod('FY2025-26-Q3'), url: '../shared/Quarter-3-2025-26-AE-by-provider-jvRWD.xls', loc: loc(15, 9) },
          ],
          overrides: {
            includeSheets: ['Chart Data', '2a. GPMS by Age & Gender '],
            tables: {
              adhd_summary_table_1: {
                name: 'adhd_open_referrals',
                description: 'Open referrals that may be for an ADHD assessment',
                columns: {
                  value: { name: 'referrals', type: 'integer', description: 'People with an open referral' },
                  reporting_period_start_date: { type: 'date' },
                },
              },
              adhd_data_quality: { skip: true, columns: {} },
            },
            locations: {
              adhd_summary_table_1: loc(20, 9),
              'adhd_summary_table_1.value': loc(24, 13),
              'adhd_summary_table_1.reporting_period_start_date': loc(25, 13),
              adhd_data_quality: loc(26, 9),
            },
          },
        },
        {
          code: 'rtt_incomplete_provider',
          name: 'RTT - Incomplete Pathways by Provider',
          loc: loc(28, 3),
          periods: [
            {
              period: { label: '2025-09', kind: 'month', start: '2025-09-01', end: '2025-09-30' },
              url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx',
              loc: loc(31, 9),
            },
          ],
          overrides: { includeSheets: [], tables: {}, locations: {} },
        },
      ],
    });
    // Unquoted `2024` is a YAML number and `2025-11-30` could be a timestamp: both arrive as the labels written.
    expect(config.publications[0]!.periods.map((p) => p.period.kind)).toEqual(['month', 'day', 'year', 'fiscal-year', 'fiscal-quarter']);
    expect('landingPage' in config.publications[1]!).toBe(false);
  });

  it('resolves anchors and aliases', () => {
    const text = `publications:
  a_pub:
    name: A
    periods:
      - period: 2025-05
        url: https://example.org/a.xlsx
    overrides: &shared
      include_sheets: [Notes]
  b_pub:
    name: B
    periods:
      - period: 2025-05
        url: https://example.org/b.xlsx
    overrides: *shared
`;
    const [a, b] = parseConfig(text, FILE).publications;
    expect(b!.overrides).toEqual({ includeSheets: ['Notes'], tables: {}, locations: {} });
    expect(b!.overrides).toEqual(a!.overrides);
  });

  it('returns warnings (a PDF link) without failing', () => {
    const text = `publications:
  msa:
    name: Mixed Sex Accommodation
    periods:
      - period: 2025-11
        url: https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2026/01/OFFICIAL-MSA-Stats-Press-Notice-November-2025-51121BZ.pdf
`;
    const config = parseConfig(text, FILE);
    expect(config.publications).toHaveLength(1);
    expect(config.warnings).toEqual([
      {
        severity: 'warning',
        message: '`https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2026/01/OFFICIAL-MSA-Stats-Press-Notice-November-2025-51121BZ.pdf` points at a PDF',
        hint: 'PDFs (press notices, reports) hold no tables the pipeline can load; link the xlsx, xls, ods, csv or zip file, or the publication page',
        loc: loc(6, 14),
        length: 130,
      },
    ]);
  });
});

describe('parseConfig: layout-only edits change nothing', () => {
  it('same-line edits (trailing comments and spaces, spacing after colons, quotes) give a deep-equal config, positions included', () => {
    const edited = VALID.replace('name: ADHD Management Information', 'name:    ADHD Management Information   # the title')
      .replace('- period: 2025-05\n', '- period: "2025-05"   \n')
      .replace('- period: 2024\n', "- period: '2024' # a calendar year\n")
      .replace('include_sheets: ["Chart Data", "2a. GPMS by Age & Gender "]', "include_sheets: [ 'Chart Data' ,   \"2a. GPMS by Age & Gender \" ]")
      .replace('skip: true', 'skip: true # not needed');
    expect(edited).not.toBe(VALID);
    expect(parseConfig(edited, FILE)).toEqual(parseConfig(VALID, FILE));
  });

  it('blank lines, comment lines and flow/block style give the same config apart from positions', () => {
    const edited = VALID.replace('publications:\n', '\n# Publications we load\npublications:\n\n')
      .replace('{ type: date }', '\n              type: date')
      .replace('include_sheets: ["Chart Data", "2a. GPMS by Age & Gender "]', 'include_sheets:\n        - Chart Data\n        - "2a. GPMS by Age & Gender "')
      .replace('    periods:\n', '    # releases\n    periods:\n');
    const original = parseConfig(VALID, FILE);
    const reparsed = parseConfig(edited, FILE);
    expect(reparsed.publications[0]!.loc).not.toEqual(original.publications[0]!.loc);
    expect(withoutLocs(reparsed)).toEqual(withoutLocs(original));
  });
});

describe('the shipped config/publications.yaml', () => {
  it('parses with no errors or warnings and configures the promised publications', async () => {
    const config = await loadConfig(path.resolve(import.meta.dirname, '../../config/publications.yaml'));
    expect(config.warnings).toEqual([]);
    expect(config.publications.map((p) => p.code)).toEqual([
      'adhd', 'rtt_incomplete_provider', 'ae_attendances', 'gp_appointments', 'pcn_workforce', 'out_of_area_placements', 'gp_registered_patients',
    ]);
    expect(config.publications.map((p) => p.name)).toEqual([
      'ADHD Management Information',
      'Referral to Treatment (RTT) Waiting Times - Incomplete Pathways by Provider',
      'A&E Attendances and Emergency Admissions - Monthly by Provider',
      'Appointments in General Practice',
      'Primary Care Network Workforce',
      'Out of Area Placements in Mental Health Services',
      'Patients Registered at a GP Practice',
    ]);
    for (const pub of config.publications) {
      expect(pub.periods.length, pub.code).toBeGreaterThanOrEqual(2);
      expect(pub.landingPage, pub.code).toMatch(/^https:\/\/(digital\.nhs\.uk|www\.england\.nhs\.uk)\//);
    }
    expect(config.publications[0]!.periods.map((p) => p.period.label)).toEqual(['2025-05', '2025-08', '2025-11']);
  });

  it('names in every URL the period it is configured for (page slug or file name)', async () => {
    const config = await loadConfig(path.resolve(import.meta.dirname, '../../config/publications.yaml'));
    for (const pub of config.publications) {
      for (const entry of pub.periods) {
        const fromUrl = periodFromText(entry.url);
        expect(fromUrl, entry.url).toBeDefined();
        // PCN pages name the census day (31-october-2025), which lies inside the configured month.
        expect(periodContains(entry.period, fromUrl!), `${entry.url} is ${fromUrl!.label}, configured as ${entry.period.label}`).toBe(true);
        expect(entry.url.startsWith(pub.landingPage!.replace(/rtt-data-2025-26\/$|ae-waiting-times-and-activity\/$/, '').replace(/\/statistical-work-areas\/.*/, '/')), entry.url).toBe(true);
      }
    }
  });
});
