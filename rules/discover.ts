/**
 * `discover`: the periods each publication's landing page offers that the config does not list, with the URL to
 * build each from and the evidence (the link, its text, how the period was read).
 *
 * Pages are fetched through the download layer (retries, per-host limits, the content-addressed store) and always
 * asked again with a conditional request: an unchanged page costs a 304. The landing page is read first
 * (lib/discover/page.ts says which shapes it understands); with `files:`, the financial-year pages it links are
 * read too; a new edition page is fetched to check that it links data files (an edition announced but not yet
 * published is not proposed).
 *
 * Which candidates are proposed: not configured, not in `discover.exclude`, and starting on or after
 * `discover.since` (default: the first configured period, so a publication configured from 2025-05 is kept up to
 * date, gaps included, without its whole back catalogue; set `since` to go further back).
 */
import { toFailure } from '../lib/failure.ts';
import type { PipelineConfig, Publication } from '../lib/config/types.ts';
import { comparePeriods, type Period, type PeriodKind } from '../lib/periods.ts';
import { filesMatch, readPage, suggestPattern, type Candidate, type YearPage } from '../lib/discover/page.ts';
import type { Workspace } from './workspace.ts';

/** One period to add, with what it was read from. */
export interface Proposal {
  publication: string;
  period: string;
  url: string;
  via: Candidate['via'];
  evidence: {
    linkText: string;
    linkUrl: string;
    /** `url` (the link's last path segment) or `link text`. */
    readFrom: Reading['from'];
    /** The text the period was read from. */
    readText: string;
    /** The page the link is on. */
    foundOn: string;
    /** Files on the page that are the period's (year pages), or how many data files the edition page links. */
    files?: string[];
    dataFiles?: number;
  };
}
type Reading = Candidate['reading'];

/** What discovery found for one publication. */
export interface PublicationDiscovery {
  publication: string;
  name: string;
  page?: string;
  proposals: Proposal[];
  /** Periods the page offers that are configured already. */
  configured: number;
  /** Candidates left out, and why (excluded, not published yet, …). */
  skipped: { period: string; url: string; reason: string }[];
  /** Candidates before `since` (not listed one by one). */
  earlier?: { count: number; since: string; sinceFrom: 'discover.since' | 'the first configured period' };
  /** What was looked for, in words (said when nothing was found). */
  lookedFor: string;
  /** The page could not be read, or its layout yielded nothing. */
  problem?: { message: string; hint?: string };
}

export interface DiscoverOptions {
  signal: AbortSignal;
  /** The config to discover for (default: the workspace's); `watch` passes the file as it is now. */
  config?: PipelineConfig;
  onRetry?: (info: { url: string; attempt: number; waitMs: number; reason: string }) => void;
}

/** Discovers new periods of `codes` (default: every publication with a `landing_page`). */
export async function discoverPeriods(ws: Workspace, codes: string[], opts: DiscoverOptions): Promise<PublicationDiscovery[]> {
  const config = opts.config ?? ws.rawConfig;
  const pubs = codes.length ? codes.flatMap((c) => config.publications.filter((p) => p.code === c)) : config.publications.filter((p) => p.landingPage);
  return Promise.all(pubs.map((p) => discoverOne(ws, p, opts)));
}

/** The kind of most of the configured periods (the first period's on a tie). */
export function grainOf(pub: Publication): PeriodKind {
  const counts = new Map<PeriodKind, number>();
  for (const e of pub.periods) counts.set(e.period.kind, (counts.get(e.period.kind) ?? 0) + 1);
  return [...counts].reduce((best, x) => (x[1] > best[1] ? x : best), [pub.periods[0]!.period.kind, 0] as [PeriodKind, number])[0];
}

async function discoverOne(ws: Workspace, pub: Publication, opts: DiscoverOptions): Promise<PublicationDiscovery> {
  const grain = grainOf(pub);
  const patterns = pub.filePatterns;
  const out: PublicationDiscovery = { publication: pub.code, name: pub.name, proposals: [], configured: 0, skipped: [], lookedFor: lookedFor(pub, grain) };
  const landing = pub.landingPage;
  if (!landing) {
    out.problem = { message: `${pub.code} has no landing_page`, hint: 'add `landing_page:` with the publication\'s series page (digital.nhs.uk) or year page (england.nhs.uk)' };
    return out;
  }
  out.page = landing;
  const first = [...pub.periods].sort((a, b) => comparePeriods(a.period, b.period))[0]!.period;
  const since = pub.discover?.since ?? first;
  let page;
  try {
    page = await fetchPage(ws, landing, opts);
  } catch (err) {
    const f = toFailure(err);
    out.problem = { message: f.message, ...(f.hint ? { hint: f.hint } : {}) };
    return out;
  }
  const offer = readPage(page.html, { pageUrl: page.finalUrl, configUrl: landing, landing, grain, ...(patterns ? { patterns } : {}) });
  const candidates = [...offer.candidates];
  for (const year of offer.yearPages.filter((y) => y.period.end >= since.start)) {
    for (const c of await lookInside(ws, year, grain, patterns!, opts, out)) if (!candidates.some((x) => x.period.label === c.period.label)) candidates.push(c);
  }
  const configured = new Set(pub.periods.map((e) => e.period.label));
  const excluded = new Set(pub.discover?.exclude ?? []);
  const fresh: Candidate[] = [];
  let earlier = 0;
  for (const c of candidates.sort((a, b) => comparePeriods(a.period, b.period))) {
    if (configured.has(c.period.label)) out.configured++;
    else if (excluded.has(c.period.label)) out.skipped.push({ period: c.period.label, url: c.url, reason: 'excluded by discover.exclude' });
    else if (c.period.start < since.start) earlier++;
    else fresh.push(c);
  }
  if (earlier) out.earlier = { count: earlier, since: since.label, sinceFrom: pub.discover?.since ? 'discover.since' : 'the first configured period' };
  const checked = await Promise.all(fresh.map((c) => (c.via === 'edition page' ? checkEdition(ws, c, patterns, opts) : { dataFiles: undefined, reason: undefined })));
  for (const [i, c] of fresh.entries()) {
    const { dataFiles, reason } = checked[i]!;
    if (reason) out.skipped.push({ period: c.period.label, url: c.url, reason });
    else out.proposals.push(proposal(pub.code, c, dataFiles));
  }
  if (candidates.length === 0) out.problem = nothingFound(pub, offer, out.lookedFor);
  return out;
}

function proposal(publication: string, c: Candidate, dataFiles: number | undefined): Proposal {
  return {
    publication,
    period: c.period.label,
    url: c.url,
    via: c.via,
    evidence: {
      linkText: c.link.text,
      linkUrl: c.link.url,
      readFrom: c.reading.from,
      readText: c.reading.text,
      foundOn: c.foundOn,
      ...(c.files ? { files: c.files } : {}),
      ...(dataFiles !== undefined ? { dataFiles } : {}),
    },
  };
}

/** The candidates of a financial-year page the landing page links (england.nhs.uk work areas). */
async function lookInside(ws: Workspace, year: YearPage, grain: PeriodKind, patterns: string[], opts: DiscoverOptions, out: PublicationDiscovery): Promise<Candidate[]> {
  try {
    const page = await fetchPage(ws, year.url, opts);
    return readPage(page.html, { pageUrl: page.finalUrl, configUrl: year.url, landing: year.url, grain, patterns }).candidates;
  } catch (err) {
    out.skipped.push({ period: year.period.label, url: year.url, reason: `the year page could not be read: ${toFailure(err).message}` });
    return [];
  }
}

/** An edition page is proposed once it links data files (and, with `files:`, one of the period's). */
async function checkEdition(ws: Workspace, c: Candidate, patterns: string[] | undefined, opts: DiscoverOptions): Promise<{ dataFiles?: number; reason?: string }> {
  let page;
  try {
    page = await fetchPage(ws, c.url, opts);
  } catch (err) {
    return { reason: `the edition page could not be read: ${toFailure(err).message}` };
  }
  const { findDataLinks } = await import('../lib/web/links.ts');
  const { lastPathSegment } = await import('../lib/web/names.ts');
  const files = findDataLinks(page.html, page.finalUrl);
  if (files.length === 0) return { reason: 'not published yet: the edition page links no data files' };
  const own = patterns ? files.filter((f) => filesMatch(patterns, c.period, lastPathSegment(f.url))) : files;
  if (own.length === 0) return { reason: `the edition page links ${files.length} data files, none matching files: ${patterns!.join(', ')}` };
  return { dataFiles: own.length };
}

/** A page through the download layer, always asked again (conditionally). */
async function fetchPage(ws: Workspace, url: string, opts: DiscoverOptions): Promise<{ html: string; finalUrl: string }> {
  const store = await ws.downloads();
  const { fetchToStore } = await import('../lib/web/fetch.ts');
  const { readText } = await import('../lib/web/period.ts');
  const { entry } = await fetchToStore(url, { store, baseDir: ws.rawConfig.dir, refresh: true, expect: 'page', signal: opts.signal, deps: ws.web, onRetry: opts.onRetry });
  return { html: await readText(store, entry), finalUrl: entry.finalUrl ?? url };
}

const GRAIN_WORDS: Record<PeriodKind, string> = { day: 'day', month: 'month', year: 'year', 'fiscal-year': 'financial year', 'fiscal-quarter': 'financial quarter' };

function lookedFor(pub: Publication, grain: PeriodKind): string {
  const g = GRAIN_WORDS[grain];
  if (pub.filePatterns) {
    return `data files whose names match \`files: ${pub.filePatterns.join(', ')}\` filled in for a ${g}, on the page and on the financial-year pages it links, and pages below it named by a ${g}`;
  }
  const path = pub.landingPage ? new URL(pub.landingPage).pathname.replace(/\/+$/, '') : '';
  return `links to pages below ${path}/ whose address or text names a ${g} (such as ${path}/november-2025)`;
}

function nothingFound(pub: Publication, offer: { links: number; dataLinks: number }, looked: string): { message: string; hint: string } {
  const message = `no periods found on ${pub.landingPage}: looked for ${looked}; the page has ${offer.links} links, ${offer.dataLinks} of them to data files`;
  if (!pub.filePatterns && offer.dataLinks > 0) {
    const example = pub.periods.map((e) => suggestPattern(decodeURIComponent(e.url.replace(/[?#].*$/, '').split('/').pop() ?? ''), e.period)).find(Boolean);
    return {
      message,
      hint: `the page links data files itself (a year page): say which are this publication's with \`files:\` under the publication${example ? `, e.g. \`files: ${example}\`` : ''}`,
    };
  }
  return { message, hint: 'check that landing_page is the series page (digital.nhs.uk) or the year or work-area page (england.nhs.uk) that links every edition' };
}

export type { Period };
