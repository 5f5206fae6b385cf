import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, didYouMean, loadConfig, parseConfig } from '../../lib/config/index.ts';
import { failure, FILE } from './helpers.ts';

const ADHD_PAGE = 'https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd';
const SYNTAX =
  'a period is written as `2025-05` (a month), `2025-05-31` (a day), `2025` (a calendar year), `FY2024-25` ' +
  '(an NHS financial year, 1 April 2024 to 31 March 2025) or `FY2024-25-Q1` (a financial quarter: Q1 April-June, ' +
  'Q2 July-September, Q3 October-December, Q4 January-March)';
const EXAMPLE = ['- period: 2025-05', `  url: ${ADHD_PAGE}/may-2025`];

const lines = (...l: string[]): string => l.join('\n');
/** A config with one publication `adhd` whose remaining lines are `body`. */
const adhd = (...body: string[]): string => lines('publications:', '  adhd:', '    name: ADHD Management Information', ...body, '');
const period = (label: string, url = `${ADHD_PAGE}/may-2025`): string[] => [`      - period: ${label}`, `        url: ${url}`];

describe('config errors: exact text (file:line:col, source line, squiggle, hint)', () => {
  it('unknown key at publication level, with "did you mean"', () => {
    const err = failure(adhd(`    landng_page: ${ADHD_PAGE}`, '    periods:', ...period('2025-05')));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:4:5: error: unknown key `landng_page` in publication `adhd`',
        `  4 |     landng_page: ${ADHD_PAGE}`,
        '    |     ^~~~~~~~~~~',
        '  hint: did you mean `landing_page`?',
        '',
        '1 error in config/publications.yaml',
      ),
    );
    expect(err.diagnostics).toEqual([
      {
        severity: 'error',
        message: 'unknown key `landng_page` in publication `adhd`',
        loc: { file: FILE, line: 4, col: 5 },
        length: 11,
        hint: 'did you mean `landing_page`?',
      },
    ]);
  });

  it('unknown key at period level, and the period it leaves missing', () => {
    const err = failure(adhd('    periods:', '      - perod: 2025-05', `        URL: ${ADHD_PAGE}/may-2025`));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:5:9: error: unknown key `perod` in a period of publication `adhd`',
        '  5 |       - perod: 2025-05',
        '    |         ^~~~~',
        '  hint: did you mean `period`?',
        '',
        'config/publications.yaml:5:9: error: a period of publication `adhd` is missing `period`',
        '  5 |       - perod: 2025-05',
        '    |         ^~~~~~~~~~~~~~',
        `  hint: add the release's period, e.g. \`period: 2025-05\`; ${SYNTAX}`,
        '',
        'config/publications.yaml:5:9: error: a period of publication `adhd` is missing `url`',
        '  5 |       - perod: 2025-05',
        '    |         ^~~~~~~~~~~~~~',
        "  hint: add `url:` with the release's page or file link (https://…), or a path relative to this file",
        '',
        'config/publications.yaml:6:9: error: unknown key `URL` in a period of publication `adhd`',
        `  6 |         URL: ${ADHD_PAGE}/may-2025`,
        '    |         ^~~',
        '  hint: did you mean `url`?',
        '',
        '4 errors in config/publications.yaml',
      ),
    );
  });

  it('unknown key at overrides level', () => {
    const err = failure(adhd('    periods:', ...period('2025-05'), '    overrides:', '      include_sheet: ["Chart Data"]'));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:8:7: error: unknown key `include_sheet` in the overrides of publication `adhd`',
        '  8 |       include_sheet: ["Chart Data"]',
        '    |       ^~~~~~~~~~~~~',
        '  hint: did you mean `include_sheets`?',
        '',
        '1 error in config/publications.yaml',
      ),
    );
  });

  it('unknown key at top level, and the `publications` it leaves missing', () => {
    const err = failure(lines('publication:', '  adhd:', '    name: ADHD', ''));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:1:1: error: unknown key `publication` in the config file',
        '  1 | publication:',
        '    | ^~~~~~~~~~~',
        '  hint: did you mean `publications`?',
        '',
        'config/publications.yaml:1:1: error: the config is missing `publications`',
        '  1 | publication:',
        '    | ^',
        '  hint: start it like this:',
        '        publications:',
        '          adhd:',
        '            name: ADHD Management Information',
        '            periods:',
        '              - period: 2025-05',
        `                url: ${ADHD_PAGE}/may-2025`,
        '',
        '2 errors in config/publications.yaml',
      ),
    );
  });

  it('keys of the old DataWarp dialects point to the one dialect', () => {
    const err = failure(adhd('    url_template: "{landing_page}/{month_name}-{year}"', '    periods:', ...period('2025-05')));
    expect(err.diagnostics.map((d) => [d.message, d.hint])).toEqual([
      [
        'unknown key `url_template` in publication `adhd`',
        lines('`url_template` belongs to the old DataWarp config; list each release under `periods:` instead:', ...EXAMPLE),
      ],
    ]);
  });

  it('missing required keys: name and periods (at the publication code), url (at the entry)', () => {
    const err = failure(lines('publications:', '  gp_appointments:', `    landing_page: ${ADHD_PAGE}`, ''));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:2:3: error: publication `gp_appointments` is missing `name`',
        '  2 |   gp_appointments:',
        '    |   ^~~~~~~~~~~~~~~',
        '  hint: add `name: <the publication title>`, e.g. `name: ADHD Management Information`',
        '',
        'config/publications.yaml:2:3: error: publication `gp_appointments` is missing `periods`',
        '  2 |   gp_appointments:',
        '    |   ^~~~~~~~~~~~~~~',
        '  hint: add the releases to load, one entry each:',
        '        periods:',
        '          - period: 2025-05',
        `            url: ${ADHD_PAGE}/may-2025`,
        '',
        '2 errors in config/publications.yaml',
      ),
    );
  });

  it('wrong types: periods not a list, name not text, skip not a boolean, include_sheets not a list', () => {
    const err = failure(
      lines(
        'publications:',
        '  adhd:',
        '    name: [ADHD, MI]',
        '    periods: 2025-05',
        '  rtt:',
        '    name: RTT',
        '    periods:',
        ...period('2025-05'),
        '    overrides:',
        '      include_sheets: Chart Data',
        '      tables:',
        '        rtt_table_1: { skip: yes }',
        '',
      ),
    );
    expect(err.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '3:11 `name` of publication `adhd` must be text, found a list | write the publication title, e.g. `name: ADHD Management Information`',
      `4:14 \`periods\` of publication \`adhd\` must be a list, found the text \`2025-05\` | list each release as an entry starting with \`-\`:\n${lines(...EXAMPLE)}`,
      '11:23 `include_sheets` of publication `rtt` must be a list of sheet names, found the text `Chart Data` | write `include_sheets: ["Chart Data"]`',
      '13:30 `skip` in the override of table `rtt_table_1` (publication `rtt`) must be `true` or `false`, found the text `yes` | write `skip: true` to leave this table out of the load',
    ]);
  });

  it('invalid period labels say what is wrong and list the accepted forms', () => {
    const err = failure(
      adhd('    periods:', ...period('2024-13'), ...period('FY2024-26'), ...period('FY2024-25-Q5'), ...period('2023-02-29'), ...period('May 2025'), ...period('Q1-2024-25')),
    );
    expect(err.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`)).toEqual([
      '5:17 invalid period `2024-13`: there is no month 13',
      '7:17 invalid period `FY2024-26`: a financial year spans two consecutive years, e.g. FY2024-25',
      '9:17 invalid period `FY2024-25-Q5`: quarters are Q1 to Q4',
      '11:17 invalid period `2023-02-29`: February 2023 has 28 days',
      '13:17 invalid period `May 2025`',
      '15:17 invalid period `Q1-2024-25`',
    ]);
    expect(err.diagnostics.map((d) => d.hint)).toEqual([SYNTAX, SYNTAX, SYNTAX, SYNTAX, `write \`2025-05\`; ${SYNTAX}`, `write \`FY2024-25-Q1\`; ${SYNTAX}`]);
    expect(err.message.split('\n').slice(0, 4)).toEqual([
      'config/publications.yaml:5:17: error: invalid period `2024-13`: there is no month 13',
      '  5 |       - period: 2024-13',
      '    |                 ^~~~~~~',
      `  hint: ${SYNTAX}`,
    ]);
  });

  it('duplicate period: points at the second and names the line of the first', () => {
    const err = failure(adhd('    periods:', ...period('2025-05'), ...period('2025-08', `${ADHD_PAGE}/august-2025`), ...period('2025-05', `${ADHD_PAGE}/may-2025-v2`)));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:9:17: error: period `2025-05` is listed twice in publication `adhd`; the first is on line 5',
        '  9 |       - period: 2025-05',
        '    |                 ^~~~~~~',
        '  hint: keep one entry per release: delete this one or correct its period',
        '',
        '1 error in config/publications.yaml',
      ),
    );
  });

  it('invalid URLs: empty, None, unsupported scheme, missing https://, landing page not on the web', () => {
    const err = failure(
      lines(
        'publications:',
        '  msa:',
        '    name: Mixed Sex Accommodation',
        '    landing_page: file:///srv/msa.html',
        '    periods:',
        '      - period: 2025-01',
        '        url:',
        '      - period: 2025-02',
        '        url: None',
        '      - period: 2025-03',
        '        url: ftp://example.org/MSA-March-2025-GBUYT.xlsx',
        '      - period: 2025-04',
        '        url: www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/06/MSA-April-2025-DWTYU.xlsx',
        '      - period: 2025-07',
        '        url: https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/07/V1.3-202507-June-2025-MSA-Breach-Rate-Indicator-methodology.pdf',
        '',
      ),
    );
    expect(err.diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      'error 4:19 `landing_page` must be a web address, not `file:///srv/msa.html` | write the page address starting with https://, e.g. https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd',
      "error 7:9 the URL is empty | paste the file's download link (https://…), or a path relative to publications.yaml",
      "error 9:14 `None` is a placeholder, not a URL | paste the file's download link (https://…), or a path relative to publications.yaml; or delete this entry if there is no file yet",
      'error 11:14 unsupported URL scheme `ftp:` in `ftp://example.org/MSA-March-2025-GBUYT.xlsx` | use an https:// link, a file: URL, or a path relative to publications.yaml',
      'error 13:14 `www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/06/MSA-April-2025-DWTYU.xlsx` has no `https://` | write `https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/06/MSA-April-2025-DWTYU.xlsx`',
      'warning 15:14 `https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/07/V1.3-202507-June-2025-MSA-Breach-Rate-Indicator-methodology.pdf` points at a PDF | PDFs (press notices, reports) hold no tables the pipeline can load; link the xlsx, xls, ods, csv or zip file, or the publication page',
    ]);
    expect(err.message.endsWith('5 errors and 1 warning in config/publications.yaml')).toBe(true);
  });

  it('a link that names another period is a warning (a copy-paste slip), shown with the config when it also has errors', () => {
    const text = adhd('    periods:', ...period('2025-08', `${ADHD_PAGE}/may-2025`), ...period('2025-11', `${ADHD_PAGE}/november-2025`));
    expect(parseConfig(text, FILE).warnings.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '6:14 the link names 2025-05 (`may-2025`) but the period is 2025-08 | check that the period and the link belong together; if this series names its files after the release month, ignore this warning',
    ]);
    const err = failure(text.replace('    name: ADHD Management Information\n', ''));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:2:3: error: publication `adhd` is missing `name`',
        '  2 |   adhd:',
        '    |   ^~~~',
        '  hint: add `name: <the publication title>`, e.g. `name: ADHD Management Information`',
        '',
        'config/publications.yaml:5:14: warning: the link names 2025-05 (`may-2025`) but the period is 2025-08',
        `  5 |         url: ${ADHD_PAGE}/may-2025`,
        `    |              ^${'~'.repeat(ADHD_PAGE.length + '/may-2025'.length - 1)}`,
        '  hint: check that the period and the link belong together; if this series names its files after the release month, ignore this warning',
        '',
        '1 error and 1 warning in config/publications.yaml',
      ),
    );
  });

  it('`FY25`-style labels are rejected as ambiguous', () => {
    const err = failure(adhd('    periods:', ...period('FY25-Q1', 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/11/Beds-Open-Overnight-Web_File-Q1-2024-25-revised.xlsx')));
    expect(err.diagnostics.map((d) => d.message)).toEqual(['invalid period `FY25-Q1`: ambiguous, it could mean FY2024-25-Q1 or FY2025-26-Q1']);
  });

  it('invalid publication codes', () => {
    const err = failure(lines('publications:', '  ADHD-MI:', '    name: ADHD', '    periods:', ...period('2025-05'), '  a_e_attendances_and_emergency_admissions:', '    name: A&E', '    periods:', ...period('2025-05'), ''));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:2:3: error: invalid publication code `ADHD-MI`',
        '  2 |   ADHD-MI:',
        '    |   ^~~~~~~',
        '  hint: a code is lowercase snake_case: a letter, then 1 to 30 letters, digits or underscores, e.g. `adhd_mi`',
        '',
        'config/publications.yaml:7:3: error: invalid publication code `a_e_attendances_and_emergency_admissions` (40 characters, at most 31)',
        '  7 |   a_e_attendances_and_emergency_admissions:',
        '    |   ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~',
        '  hint: a code is lowercase snake_case: a letter, then 1 to 30 letters, digits or underscores',
        '',
        '2 errors in config/publications.yaml',
      ),
    );
  });

  it('duplicate publication codes (YAML duplicate keys): points at the second, names the line of the first', () => {
    const err = failure(lines('publications:', '  adhd:', '    name: ADHD', '    periods:', ...period('2025-05'), '  adhd:', '    name: ADHD again', '    periods:', ...period('2025-08'), ''));
    expect(err.message).toBe(
      lines(
        'config/publications.yaml:7:3: error: duplicate publication code `adhd`; the first is on line 2',
        '  7 |   adhd:',
        '    |   ^~~~',
        '  hint: merge the two entries into one, or give one of them a different code',
        '',
        '1 error in config/publications.yaml',
      ),
    );
  });

  it('duplicate keys elsewhere are errors too (YAML would keep only one)', () => {
    const err = failure(adhd('    name: ADHD MI', '    periods:', ...period('2025-05')));
    expect(err.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '4:5 duplicate key `name` in publication `adhd`; the first is on line 3 | keep one of them (YAML would silently use only one)',
    ]);
  });

  it('invalid override type names and table/column names', () => {
    const err = failure(
      adhd(
        '    periods:',
        ...period('2025-05'),
        '    overrides:',
        '      tables:',
        '        adhd_table_1:',
        '          name: ADHD Referrals',
        '          columns:',
        '            value: { type: int }',
        '            age_group: { type: strng }',
        '            indicator_id: { type: timestamp, name: indicator }',
        '            breakdown: { name: indicator }',
      ),
    );
    expect(err.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '10:17 invalid table name `ADHD Referrals` in the override of table `adhd_table_1` (publication `adhd`) | table names are lowercase snake_case: a letter, then letters, digits or underscores, at most 63 characters, e.g. `adhd_referrals`',
      '12:28 unknown column type `int` for column `value` of table `adhd_table_1` (publication `adhd`) | did you mean `integer`? The types are `boolean`, `integer`, `bigint`, `numeric`, `date`, `text`.',
      '13:32 unknown column type `strng` for column `age_group` of table `adhd_table_1` (publication `adhd`) | did you mean `text`? The types are `boolean`, `integer`, `bigint`, `numeric`, `date`, `text`.',
      '14:35 unknown column type `timestamp` for column `indicator_id` of table `adhd_table_1` (publication `adhd`) | did you mean `date`? The types are `boolean`, `integer`, `bigint`, `numeric`, `date`, `text`.',
      '15:13 columns `indicator_id` and `breakdown` of table `adhd_table_1` (publication `adhd`) would both be named `indicator` | give each column its own `name`',
    ]);
  });

  it('YAML syntax errors, with position and a hint', () => {
    const tab = failure(lines('publications:', '  adhd:', '\tname: ADHD', ''));
    expect(tab.message).toBe(
      lines(
        'config/publications.yaml:3:1: error: invalid YAML: Tabs are not allowed as indentation',
        '  3 |  name: ADHD',
        '    | ^',
        '  hint: indent with spaces; YAML does not allow tabs for indentation',
        '',
        '1 error in config/publications.yaml',
      ),
    );
    const colon = failure(lines('publications:', '  ae:', '    name: A&E: attendances and emergency admissions', ''));
    expect(colon.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '3:11 invalid YAML: Nested mappings are not allowed in compact mappings | a value that contains `: ` must be quoted, e.g. `name: "A&E: attendances"`',
    ]);
  });

  it('an empty config, a comment-only config, and an unknown alias', () => {
    for (const text of ['', '# nothing yet\n']) {
      expect(failure(text).diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`)).toEqual(['1:1 the config has no publications']);
    }
    const alias = failure(adhd('    periods:', ...period('2025-05'), '    overrides: *common'));
    expect(alias.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '7:16 unknown alias `*common` | define the anchor first, with `&common` before the value you want to reuse',
    ]);
  });

  it('empty values: a publication, `publications`, and an empty override (a warning only)', () => {
    expect(failure(lines('publications:', '  adhd:', '')).diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`)).toEqual([
      '2:3 publication `adhd` must be a mapping with `name` and `periods`, found nothing',
    ]);
    expect(failure(lines('publications:', '')).diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`)).toEqual(['1:1 `publications` is empty']);
    const config = parseConfig(adhd('    periods:', ...period('2025-05'), '    overrides:', '      tables:', '        adhd_table_1:', '          columns:', '            value:'), FILE);
    expect(config.publications[0]!.overrides.tables).toEqual({ adhd_table_1: { columns: { value: {} } } });
    expect(config.warnings.map((d) => `${d.loc.line}:${d.loc.col} ${d.message} | ${d.hint}`)).toEqual([
      '11:13 the override of column `value` of table `adhd_table_1` (publication `adhd`) changes nothing | add `name:`, `type:` or `description:`, or delete it',
    ]);
  });

  it('collects every error of every publication in one pass', () => {
    const err = failure(
      lines('publications:', '  adhd:', '    nme: ADHD', '    periods:', ...period('2025-13'), '  rtt:', '    name: RTT', '    periods:', ...period('2025-05', 'None'), ''),
    );
    expect(err.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`)).toEqual([
      '2:3 publication `adhd` is missing `name`',
      '3:5 unknown key `nme` in publication `adhd`',
      '5:17 invalid period `2025-13`: there is no month 13',
      '11:14 `None` is a placeholder, not a URL',
    ]);
    expect(err.message.endsWith('\n\n4 errors in config/publications.yaml')).toBe(true);
  });
});

describe('loadConfig', () => {
  it('a missing file is a ConfigError with a hint to create it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nhs-config-'));
    const file = path.join(dir, 'publications.yaml');
    try {
      await expect(loadConfig(file)).rejects.toThrow(ConfigError);
      await expect(loadConfig(file)).rejects.toThrow(
        lines(
          `${file}: error: config file not found: ${file}`,
          '  hint: create it with at least one publication, for example:',
          '        publications:',
          '          adhd:',
          '            name: ADHD Management Information',
          '            periods:',
          '              - period: 2025-05',
          `                url: ${ADHD_PAGE}/may-2025`,
          '',
          `1 error in ${file}`,
        ),
      );
      await writeFile(file, '\uFEFF' + adhd('    periods:', ...period('2025-05')));
      const config = await loadConfig(file);
      expect(config.dir).toBe(dir);
      expect(config.publications[0]!.loc).toEqual({ file, line: 2, col: 3 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('didYouMean', () => {
  it.each([
    ['landng_page', 'landing_page'],
    ['landing-page', 'landing_page'],
    ['nmae', 'name'],
    ['PERIODS', 'periods'],
    ['over', 'overrides'],
    ['colour', undefined],
  ])('%s → %s', (word, expected) => {
    expect(didYouMean(word, ['name', 'landing_page', 'periods', 'overrides'])).toBe(expected);
  });
});
