/** Reading the period a link names, at a publication's grain; which pages are below a landing page; suggested patterns. */
import { describe, expect, it } from 'vitest';
import { atGrain, isBelow, readLink, suggestPattern } from '../../lib/discover/page.ts';
import { parsePeriod } from '../../lib/periods.ts';

const read = (url: string, text = '') => {
  const r = readLink({ url, text });
  return r && [r.period.label, r.from, r.text];
};

describe('the period a link names', () => {
  it('from the last part of its address first, in every spelling the period parser knows', () => {
    expect(read('https://digital.nhs.uk/x/mi-adhd/november-2025', 'Latest statistics')).toEqual(['2025-11', 'url', 'november-2025']);
    expect(read('https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/12/Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx')).toEqual(['2025-10', 'url', 'Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx']);
    expect(read('https://files.digital.nhs.uk/A1/B2/gp-reg-2025-11.csv')![0]).toBe('2025-11');
    expect(read('https://x/Beds-Open-Overnight-Web_File-Q3-2024-25-revised.xlsx')![0]).toBe('FY2024-25-Q3');
    expect(read('https://x/qof/2023-24')![0]).toBe('FY2023-24');
    expect(read('https://x/pcn/31-october-2025')![0]).toBe('2025-10-31');
  });

  it('from its text when the address names none', () => {
    expect(read('https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv', 'Patients Registered at a GP Practice, November 2025')).toEqual(['2025-11', 'link text', 'Patients Registered at a GP Practice, November 2025']);
    expect(read('https://x/y/latest', 'Data for FY2024-25-Q1')![0]).toBe('FY2024-25-Q1');
    expect(read('https://x/y/supporting-information', 'Supporting information')).toBeUndefined();
  });

  it('at the grain of the configured periods: a census day names its month; other kinds do not mix', () => {
    expect(atGrain(parsePeriod('2025-10-31')!, 'month')!.label).toBe('2025-10');
    expect(atGrain(parsePeriod('2025-10')!, 'month')!.label).toBe('2025-10');
    expect(atGrain(parsePeriod('FY2024-25')!, 'month')).toBeUndefined();
    expect(atGrain(parsePeriod('2025-10')!, 'fiscal-quarter')).toBeUndefined();
  });
});

describe('pages below a landing page', () => {
  it('same host, under its path, at any depth; not the page itself, not a sibling series', () => {
    const landing = 'https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd';
    expect(isBelow(`${landing}/may-2025`, landing)).toBe(true);
    expect(isBelow(`${landing}/`, landing)).toBe(false);
    expect(isBelow('https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd-archive/may-2025', landing)).toBe(false);
    expect(isBelow('https://files.digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025', landing)).toBe(false);
    expect(isBelow('https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/rtt-data-2025-26/', 'https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/')).toBe(true);
  });
});

describe('a files: pattern suggested from a file name', () => {
  it('the period spelled with tokens, the plain words after it kept, then *', () => {
    expect(suggestPattern('Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx', parsePeriod('2025-09')!)).toBe('Incomplete-Provider-{MMM}{YY}-XLSX-*');
    expect(suggestPattern('November-2025-AE-by-provider-0Qu74-1.xls', parsePeriod('2025-11')!)).toBe('{MMMM}-{YYYY}-AE-by-provider-*');
    expect(suggestPattern('Monthly-AE-Time-Series-January-2024.xls', parsePeriod('2024-01')!)).toBe('Monthly-AE-Time-Series-{MMMM}-{YYYY}*');
    expect(suggestPattern('gp-reg-pat-prac-all.csv', parsePeriod('2025-11')!)).toBeUndefined();
  });
});
