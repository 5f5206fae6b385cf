import { describe, expect, it } from 'vitest';
import { periodFromText } from '../../lib/period-text.ts';
import { comparePeriods, describePeriodSyntax, parsePeriod, type Period } from '../../lib/periods.ts';

describe('parsePeriod: canonical labels', () => {
  it.each([
    ['2025-05', 'month', '2025-05-01', '2025-05-31'],
    ['2024-02', 'month', '2024-02-01', '2024-02-29'], // leap year
    ['2023-02', 'month', '2023-02-01', '2023-02-28'],
    ['1900-02', undefined, '', ''], // before the NHS existed: not a data year
    ['2024-02-29', 'day', '2024-02-29', '2024-02-29'],
    ['2025-12-31', 'day', '2025-12-31', '2025-12-31'],
    ['2024', 'year', '2024-01-01', '2024-12-31'],
    ['FY2024-25', 'fiscal-year', '2024-04-01', '2025-03-31'],
    ['FY1999-00', 'fiscal-year', '1999-04-01', '2000-03-31'],
    ['FY2024-25-Q1', 'fiscal-quarter', '2024-04-01', '2024-06-30'],
    ['FY2024-25-Q2', 'fiscal-quarter', '2024-07-01', '2024-09-30'],
    ['FY2024-25-Q3', 'fiscal-quarter', '2024-10-01', '2024-12-31'],
    ['FY2024-25-Q4', 'fiscal-quarter', '2025-01-01', '2025-03-31'],
  ])('%s → %s %s..%s', (label, kind, start, end) => {
    const p = parsePeriod(label);
    if (kind === undefined) return expect(p).toBeUndefined();
    expect(p).toEqual({ label, kind, start, end });
  });

  it.each([
    '2024-13', '2024-00', 'FY2024-26', 'FY2024-25-Q5', 'FY2024-25-Q0', '2023-02-29', '2025-04-31', '2024-1', '2024-5-01',
    ' 2024-05', '2024-05 ', 'fy2024-25', 'FY24-25', 'FY25-Q1', '2024/25', '2024-25', 'May 2025', '202405', '', '2100', '1947',
  ])('rejects %j', (label) => {
    expect(parsePeriod(label)).toBeUndefined();
  });

  it('agrees with periodFromText on every canonical label (including the 2011-12 month/financial-year lookalike)', () => {
    for (const label of ['2025-05', '2011-12', '2010-11', '2024-02-29', '2024', 'FY2024-25', 'FY2011-12', 'FY2024-25-Q4']) {
      expect(periodFromText(label)).toEqual(parsePeriod(label));
    }
  });
});

describe('comparePeriods', () => {
  it('orders by first day, then last day', () => {
    const labels = ['FY2024-25', '2025-01', '2024', 'FY2024-25-Q2', '2024-04', 'FY2024-25-Q1', '2024-04-01', '2024-12-31'];
    const sorted = labels.map((l) => parsePeriod(l)!).sort(comparePeriods).map((p) => p.label);
    expect(sorted).toEqual(['2024', '2024-04-01', '2024-04', 'FY2024-25-Q1', 'FY2024-25', 'FY2024-25-Q2', '2024-12-31', '2025-01']);
  });

  it('is zero only for the same span', () => {
    const a = parsePeriod('2025-05')!;
    expect(comparePeriods(a, { ...a })).toBe(0);
    expect(comparePeriods(a, parsePeriod('2025-05-01')!)).toBeGreaterThan(0);
    expect(comparePeriods(parsePeriod('2025-05-01') as Period, a)).toBeLessThan(0);
  });
});

describe('describePeriodSyntax', () => {
  it('names every accepted form with an example and the fiscal conventions', () => {
    expect(describePeriodSyntax()).toBe(
      'a period is written as `2025-05` (a month), `2025-05-31` (a day), `2025` (a calendar year), ' +
        '`FY2024-25` (an NHS financial year, 1 April 2024 to 31 March 2025) or `FY2024-25-Q1` ' +
        '(a financial quarter: Q1 April-June, Q2 July-September, Q3 October-December, Q4 January-March)',
    );
  });
});
