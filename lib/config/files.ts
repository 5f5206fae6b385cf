/**
 * `files:` patterns: which of the data files a publication page links belong to a period.
 *
 * NHS England publishes a year page that links every month's files (`Incomplete-Provider-Oct25-XLSX-9M-SrRW6y.xlsx`,
 * `...-Nov25-...`), so a period whose `url` is such a page says which files are its own:
 *
 *   files: Incomplete-Provider-{MMM}{YY}-*
 *
 * A pattern is matched against the linked file's name (the last segment of its URL, percent-decoded),
 * ignoring case: `*` stands for any run of characters, `?` for one character, everything else for
 * itself. Tokens in braces are filled from the period, so one pattern under the publication serves
 * every period: {YYYY} 2025, {YY} 25, {MM} 10, {MMM} Oct, {MMMM} October, {DD} 31. Month tokens need a
 * period of a month or a day (or a financial quarter: its first month); {DD} a day.
 */
import { MONTH_NAMES, type Period } from '../periods.ts';

/** The tokens a pattern may use, with what each gives for October 2025 (for messages). */
export const FILE_TOKENS: Record<string, string> = { YYYY: '2025', YY: '25', MM: '10', MMM: 'Oct', MMMM: 'October', DD: '31' };

/** Fills the tokens of `pattern` from `period`; a string saying what is wrong when it cannot. */
export function expandFilePattern(pattern: string, period: Period): { pattern: string } | { problem: string } {
  const [y, m, d] = period.start.split('-').map(Number) as [number, number, number];
  const hasMonth = period.kind === 'month' || period.kind === 'day' || period.kind === 'fiscal-quarter';
  let problem: string | undefined;
  const out = pattern.replace(/\{([^{}]*)\}/g, (whole, token: string) => {
    switch (token) {
      case 'YYYY':
        return String(y);
      case 'YY':
        return String(y % 100).padStart(2, '0');
      case 'MM':
      case 'MMM':
      case 'MMMM':
        if (!hasMonth) problem ??= `\`{${token}}\` needs a period of a month or a day, but ${period.label} is a ${period.kind.replace('-', ' ')}`;
        return token === 'MM' ? String(m).padStart(2, '0') : token === 'MMM' ? MONTH_NAMES[m - 1]!.slice(0, 3) : MONTH_NAMES[m - 1]!;
      case 'DD':
        if (period.kind !== 'day') problem ??= `\`{DD}\` needs a period of a day, but ${period.label} is a ${period.kind.replace('-', ' ')}`;
        return String(d).padStart(2, '0');
      default:
        problem ??= `unknown token \`${whole}\``;
        return whole;
    }
  });
  return problem ? { problem } : { pattern: out };
}

/** A test of file names against expanded patterns (any one matching selects the file). */
export function fileNameMatcher(patterns: string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('').map(globChar).join('')}$`, 'i'));
  return (name) => res.some((re) => re.test(name));
}

function globChar(c: string): string {
  if (c === '*') return '.*';
  if (c === '?') return '.';
  return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}
