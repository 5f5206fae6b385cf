/**
 * `files:` patterns: the period's tokens filled in, globs matched against file names, and every mistake
 * reported at its line and column with the tokens listed.
 */
import { describe, expect, it } from 'vitest';
import { expandFilePattern, fileNameMatcher, parseConfig } from '../../lib/config/index.ts';
import { parsePeriod } from '../../lib/periods.ts';
import { failure, FILE } from './helpers.ts';

const YEAR_PAGE = 'https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/rtt-data-2025-26/';
const lines = (...l: string[]): string => l.join('\n') + '\n';
const period = (label: string) => parsePeriod(label)!;

describe('file patterns', () => {
  it('fills every token from the period', () => {
    expect(expandFilePattern('Incomplete-Provider-{MMM}{YY}-*', period('2025-10'))).toEqual({ pattern: 'Incomplete-Provider-Oct25-*' });
    expect(expandFilePattern('{MMMM}-{YYYY}', period('2024-01'))).toEqual({ pattern: 'January-2024' });
    expect(expandFilePattern('census-{YYYY}-{MM}-{DD}.csv', period('2025-10-31'))).toEqual({ pattern: 'census-2025-10-31.csv' });
    // A financial quarter starts in its first month: Q3 of 2025-26 is October 2025.
    expect(expandFilePattern('{MMM}{YY}', period('FY2025-26-Q3'))).toEqual({ pattern: 'Oct25' });
    expect(expandFilePattern('no tokens *.csv', period('2025'))).toEqual({ pattern: 'no tokens *.csv' });
  });

  it('says which token a period cannot fill, and which tokens are unknown', () => {
    expect(expandFilePattern('{MMM}{YY}', period('FY2024-25'))).toEqual({ problem: '`{MMM}` needs a period of a month or a day, but FY2024-25 is a fiscal year' });
    expect(expandFilePattern('{DD}', period('2025-10'))).toEqual({ problem: '`{DD}` needs a period of a day, but 2025-10 is a month' });
    expect(expandFilePattern('{Month}', period('2025-10'))).toEqual({ problem: 'unknown token `{Month}`' });
  });

  it('matches whole file names, ignoring case; * and ? are the only wildcards', () => {
    const m = fileNameMatcher(['Incomplete-Provider-Oct25-*', 'a?c.csv']);
    expect(m('Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx')).toBe(true);
    expect(m('INCOMPLETE-PROVIDER-OCT25-XLSX-9M.xlsx')).toBe(true);
    expect(m('Incomplete-Provider-Nov25-XLSX-9M-1Xmjkk.xlsx')).toBe(false);
    expect(m('Old-Incomplete-Provider-Oct25-x.xlsx')).toBe(false); // anchored at the start
    expect(m('abc.csv')).toBe(true);
    expect(m('abbc.csv')).toBe(false);
    // Regular-expression characters are themselves: `.` is a dot, `(…)` are brackets.
    expect(fileNameMatcher(['a.csv'])('abcsv')).toBe(false);
    expect(fileNameMatcher(['data (1).csv'])('data (1).csv')).toBe(true);
  });
});

describe('files: in the config', () => {
  it('a publication\'s pattern serves every period, a period\'s own replaces it; absent means every file', () => {
    const cfg = parseConfig(
      lines(
        'publications:',
        '  rtt:',
        '    name: RTT',
        '    files: Incomplete-Provider-{MMM}{YY}-*',
        '    periods:',
        '      - period: 2025-09',
        `        url: ${YEAR_PAGE}`,
        '      - period: 2025-10',
        `        url: ${YEAR_PAGE}`,
        '        files: [Incomplete-Provider-Oct25-*, Incomplete-Commissioner-Oct25-*]',
        '  adhd:',
        '    name: ADHD',
        '    periods:',
        '      - period: 2025-05',
        '        url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025',
      ),
      FILE,
    );
    expect(cfg.publications.map((p) => p.periods.map((e) => [e.period.label, e.files]))).toEqual([
      [['2025-09', ['Incomplete-Provider-Sep25-*']], ['2025-10', ['Incomplete-Provider-Oct25-*', 'Incomplete-Commissioner-Oct25-*']]],
      [['2025-05', undefined]],
    ]);
  });

  it('a token the period cannot fill is an error at the pattern, naming the period and listing the tokens', () => {
    const err = failure(lines('publications:', '  rtt:', '    name: RTT', '    files: "{MMM}-{YYYY}.xlsx"', '    periods:', '      - period: FY2025-26', `        url: ${YEAR_PAGE}`));
    expect(err.diagnostics).toHaveLength(1);
    expect(err.diagnostics[0]).toMatchObject({
      severity: 'error',
      message: '`files` pattern `{MMM}-{YYYY}.xlsx` for period FY2025-26: `{MMM}` needs a period of a month or a day, but FY2025-26 is a fiscal year',
      loc: { file: FILE, line: 4, col: 12 },
    });
    expect(err.diagnostics[0]!.hint).toContain('{YYYY} 2025, {YY} 25, {MM} 10, {MMM} Oct, {MMMM} October, {DD} 31');
  });

  it('an empty files: or list, a mapping in the list and an unknown token are each reported where they are', () => {
    const err = failure(
      lines(
        'publications:',
        '  pa:',
        '    name: A',
        '    files:',
        '    periods:',
        '      - period: 2025-04',
        `        url: ${YEAR_PAGE}`,
        '  pb:',
        '    name: B',
        '    periods:',
        '      - period: 2025-04',
        `        url: ${YEAR_PAGE}`,
        '        files: []',
        '      - period: 2025-05',
        `        url: ${YEAR_PAGE}`,
        '        files: [ok-*, {pattern: x}]',
        '      - period: 2025-06',
        `        url: ${YEAR_PAGE}`,
        '        files: "{Mon}{YY}*"',
      ),
    );
    expect(err.diagnostics.map((d) => [d.severity, d.loc.line, d.loc.col, d.message])).toEqual([
      ['error', 4, 5, '`files` of publication `pa` is empty'],
      ['error', 13, 16, '`files` of a period of publication `pb` is empty'],
      ['error', 16, 23, 'a pattern in `files` of a period of publication `pb` must be text, found a mapping'],
      ['error', 19, 16, '`files` pattern `{Mon}{YY}*` for period 2025-06: unknown token `{Mon}`'],
    ]);
  });

  it('the old DataWarp file_pattern key points to files:', () => {
    const err = failure(lines('publications:', '  rtt:', '    name: RTT', '    file_pattern: "*Oct25*"', '    periods:', '      - period: 2025-10', `        url: ${YEAR_PAGE}`));
    expect(err.diagnostics[0]).toMatchObject({ message: 'unknown key `file_pattern` in publication `rtt`', loc: { line: 4, col: 5 } });
    expect(err.diagnostics[0]!.hint).toContain('write `files:` with a file name pattern, e.g. `files: Incomplete-Provider-{MMM}{YY}-*`');
  });
});
