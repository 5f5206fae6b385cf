/**
 * What one NHS publication page offers: the periods its links name, read with the period parser from the link's
 * URL and text. Pure: the page's HTML in, candidates out (fetching is the caller's).
 *
 * The shapes NHS pages come in (see the README's Discovery section):
 * - a series page (digital.nhs.uk, Hippo CMS) links one page per edition below its own path: `…/mi-adhd/november-2025`,
 *   `…/primary-care-network-workforce/31-october-2025`, `…/quality-and-outcomes-framework/2023-24`, in a "Latest"
 *   link and a "Past publications" list alike: each such page is a candidate edition;
 * - a year page (england.nhs.uk, WordPress) links many months' files: with the publication's `files:` pattern, a file
 *   whose name names a period and matches the pattern filled in for that period is that period's;
 * - a work-area page links one year page per financial year (`…/rtt-data-2025-26/`): with `files:`, those pages are
 *   looked inside (the caller fetches them and runs this again).
 */
import { expandFilePattern, fileNameMatcher } from '../config/files.ts';
import { periodFromText } from '../period-text.ts';
import { monthPeriod, type Period, type PeriodKind } from '../periods.ts';
import { findLinks, isDataFileUrl, type DataLink } from '../web/links.ts';
import { lastPathSegment } from '../web/names.ts';

/** How a link's period was read: from its URL's last segment or from its text, and the text read. */
export interface Reading { period: Period; from: 'url' | 'link text'; text: string }

/** One period a page offers, with its evidence. */
export interface Candidate {
  /** At the publication's grain (a census day in a slug is its month for a monthly publication). */
  period: Period;
  /** What the config's `url:` would be: the edition page, or the page that links the period's files. */
  url: string;
  via: 'edition page' | 'files on the page';
  link: DataLink;
  reading: Reading;
  /** The page the link is on. */
  foundOn: string;
  /** For files on a page: the names of the period's files. */
  files?: string[];
}

/** A page to look inside: it names a span wider than the publication's periods (a financial year page). */
export interface YearPage { url: string; period: Period; link: DataLink }

export interface PageOffer {
  candidates: Candidate[];
  yearPages: YearPage[];
  links: number;
  dataLinks: number;
}

/** What to read a page with: the publication's grain, its landing page (editions live below it) and `files:`. */
export interface PageQuery {
  /** Where the page was read from (after redirects): its relative links resolve against it. */
  pageUrl: string;
  /** The page's URL as the config names it (default `pageUrl`): a period whose files are on it gets this `url:`. */
  configUrl?: string;
  landing: string;
  grain: PeriodKind;
  /** `files:` of the publication as written (tokens unfilled). */
  patterns?: string[];
}

/** The period a link names: its URL's last segment first (file names and slugs are machine-made), else its text. */
export function readLink(link: DataLink): Reading | undefined {
  const segment = lastPathSegment(link.url);
  const fromUrl = segment ? periodFromText(segment) : undefined;
  if (fromUrl) return { period: fromUrl, from: 'url', text: segment };
  const fromText = link.text ? periodFromText(link.text) : undefined;
  return fromText ? { period: fromText, from: 'link text', text: link.text } : undefined;
}

/** A period read at the publication's grain: a day inside a month is that month; otherwise kinds must agree. */
export function atGrain(p: Period, grain: PeriodKind): Period | undefined {
  if (p.kind === grain) return p;
  if (p.kind === 'day' && grain === 'month') return monthPeriod(Number(p.start.slice(0, 4)), Number(p.start.slice(5, 7)));
  return undefined;
}

const WIDER: Partial<Record<PeriodKind, PeriodKind[]>> = {
  'fiscal-year': ['month', 'day', 'fiscal-quarter'],
  year: ['month', 'day'],
};

/** Whether `url` is a page below `landing` (same host, path under the landing page's path). */
export function isBelow(url: string, landing: string): boolean {
  try {
    const [u, l] = [new URL(url), new URL(landing)];
    const base = l.pathname.replace(/\/+$/, '');
    const path = u.pathname.replace(/\/+$/, '');
    return u.host === l.host && path.startsWith(`${base}/`) && path.length > base.length + 1;
  } catch {
    return false;
  }
}

/** Whether a file name matches the publication's patterns filled in for `period`. */
export function filesMatch(patterns: string[], period: Period, name: string): boolean {
  const filled = patterns.map((p) => expandFilePattern(p, period)).flatMap((x) => ('pattern' in x ? [x.pattern] : []));
  return filled.length > 0 && fileNameMatcher(filled)(name);
}

/** The periods `html` offers, as a page at `q.pageUrl` of the publication described by `q`. */
export function readPage(html: string, q: PageQuery): PageOffer {
  const links = findLinks(html, q.pageUrl);
  const candidates: Candidate[] = [];
  const yearPages: YearPage[] = [];
  const byPeriod = new Map<string, Candidate>();
  let dataLinks = 0;
  for (const link of links) {
    const data = isDataFileUrl(link.url);
    if (data) dataLinks++;
    if (!data && !isBelow(link.url, q.landing)) continue;
    const reading = readLink(link);
    if (!reading) continue;
    const period = atGrain(reading.period, q.grain);
    if (data) {
      const name = lastPathSegment(link.url);
      if (!q.patterns || !period || !filesMatch(q.patterns, period, name)) continue;
      const known = byPeriod.get(period.label);
      if (known?.via === 'files on the page') known.files!.push(name);
      else if (!known) add({ period, url: q.configUrl ?? q.pageUrl, via: 'files on the page', link, reading, foundOn: q.configUrl ?? q.pageUrl, files: [name] });
    } else if (period) {
      if (!byPeriod.has(period.label)) add({ period, url: link.url, via: 'edition page', link, reading, foundOn: q.configUrl ?? q.pageUrl });
    } else if (q.patterns && WIDER[reading.period.kind]?.includes(q.grain) && !yearPages.some((y) => y.url === link.url)) {
      yearPages.push({ url: link.url, period: reading.period, link });
    }
  }
  return { candidates, yearPages, links: links.length, dataLinks };

  function add(c: Candidate) {
    byPeriod.set(c.period.label, c);
    candidates.push(c);
  }
}

/** Token spellings tried when suggesting a `files:` pattern, most specific first. */
const SPELLINGS = ['{MMMM}-{YYYY}', '{MMMM}_{YYYY}', '{MMMM}{YYYY}', '{MMM}-{YYYY}', '{MMM}_{YYYY}', '{MMM}{YYYY}', '{MMM}-{YY}', '{MMM}_{YY}', '{MMM}{YY}', '{YYYY}-{MM}', '{YYYY}{MM}'];

/**
 * A `files:` pattern that would select `name` for `period`: the name with the period's spelling in it made tokens,
 * up to the last plain word after it, then `*` (`Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx` →
 * `Incomplete-Provider-{MMM}{YY}-XLSX-*`, `November-2025-AE-by-provider-0Qu74-1.xls` →
 * `{MMMM}-{YYYY}-AE-by-provider-*`); undefined when the name does not spell the period in a known way.
 */
export function suggestPattern(name: string, period: Period): string | undefined {
  const lower = name.toLowerCase();
  for (const spelling of SPELLINGS) {
    const x = expandFilePattern(spelling, period);
    if (!('pattern' in x)) continue;
    const at = lower.indexOf(x.pattern.toLowerCase());
    if (at < 0) continue;
    const rest = name.slice(at + x.pattern.length);
    const words = /^(?:[-_ ][A-Za-z]+(?=[-_ .]|$))*/.exec(rest)![0];
    const sep = /^[-_ ]/.test(rest.slice(words.length)) ? rest[words.length] : '';
    return `${name.slice(0, at)}${spelling}${words}${sep}*`;
  }
  return undefined;
}
