/**
 * `fetchPeriod`: everything one period's URL stands for.
 *
 * A period URL in config is either a data file (`...Mar26.xlsx`) or a publication page that links
 * the period's files (NHS England year pages, NHS Digital period pages). A URL whose path ends in a
 * data extension is a file; anything else is fetched once and treated as a page if it is HTML (by
 * Content-Type or by its first bytes), otherwise as a file (download endpoints without extension).
 */
import { open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DownloadError } from './errors.ts';
import { fetchToStore } from './fetch.ts';
import type { FetchOptions } from './options.ts';
import { looksLikeHtml } from './stream.ts';
import { findDataLinks, isDataFileUrl, pageTitle, type DataLink } from './links.ts';
import { lastPathSegment } from './names.ts';
import { resolveSource, toConfigUrl } from './source.ts';
import type { DownloadStore, IndexEntry } from './store.ts';

/** The files of one period: a direct file, or a page and the data files it links (page order). */
export interface PeriodFiles {
  kind: 'file' | 'page';
  page?: IndexEntry;
  files: IndexEntry[];
  /** For a page: the link behind each entry of `files` (same order; `url` as recorded in the index). */
  links?: DataLink[];
  /** For a page: its title (first `<h1>`, else `<title>`), for descriptions. */
  title?: string;
  /** For a remote page: data links it holds that leave http(s) (`file:`, `ftp:`), ignored (see {@link fetchPeriod}). */
  refused?: string[];
}

/** `fetchPeriod` options: the download options plus an optional choice of links. */
export interface FetchPeriodOptions extends FetchOptions {
  /**
   * Which of a page's data links to download (default: all). NHS England year pages link every
   * month's files, so callers usually pass a test on the file name stem or the link text.
   */
  select?: (link: DataLink) => boolean;
  /** What `select` keeps, in the user's words (`files: Incomplete-Provider-Oct25-*`), for the error when nothing matches. */
  selection?: string;
}

/**
 * Download a period URL and, for a page, every data file it links. Files linked from a local page
 * are recorded as paths relative to `baseDir`; a remote (http) page's links that leave http(s) are
 * ignored and listed in `refused`. Returns how many of those were actually transferred
 * (`fetchedCount`, page included) so callers can report "3 downloaded, 5 up to date".
 * A page without data links is a {@link DownloadError} of kind 'no-data-links'.
 */
export async function fetchPeriod(
  url: string,
  opts: FetchPeriodOptions,
): Promise<PeriodFiles & { fetchedCount: number }> {
  const { select, selection, ...fetchOpts } = opts;
  const direct = isDataFileUrl(url);
  const first = await fetchToStore(url, { ...fetchOpts, expect: direct ? 'data' : 'any' });
  let fetchedCount = first.fetched ? 1 : 0;
  if (direct || !(await isHtmlEntry(opts.store, first.entry))) {
    return { kind: 'file', files: [first.entry], fetchedCount };
  }

  const html = await readText(opts.store, first.entry);
  const found = findDataLinks(html, pageLocation(url, first.entry, opts.baseDir));
  // A page someone else serves must not make us read this machine's files: from a remote page only
  // http(s) links are followed. Local paths are read only where the user's own config (or a local page
  // it names) wrote them.
  const remote = resolveSource(url, opts.baseDir).kind === 'http';
  const links = remote ? found.filter((l) => /^https?:/i.test(l.url)) : found;
  const refused = remote ? found.filter((l) => !/^https?:/i.test(l.url)).map((l) => l.url) : [];
  if (links.length === 0) {
    throw new DownloadError({
      url,
      kind: 'no-data-links',
      summary:
        `The page ${url} links no data files (.xlsx .xlsm .xls .ods .csv .zip)` +
        (refused.length ? `; it links ${refused.length} that leave http(s) (${refused.slice(0, 3).join(', ')}), which a remote page may not` : ''),
      hint:
        'the period may not be published yet (an "upcoming" page has no files) or the files sit on another page — ' +
        'open it in a browser and put the page or file URL(s) in config/publications.yaml',
    });
  }

  const chosen = links
    .map((l) => ({ url: toConfigUrl(l.url, opts.baseDir), text: l.text }))
    .filter((l) => select === undefined || select(l));
  if (chosen.length === 0) {
    const names = links.slice(0, 5).map((l) => lastPathSegment(l.url));
    throw new DownloadError({
      url,
      kind: 'no-data-links',
      summary:
        `None of the ${links.length} data files linked from the page ${url} matches ${selection ?? 'the selection'} ` +
        `(the page links ${names.join(', ')}${links.length > names.length ? ', …' : ''})`,
      hint: 'the period may not be published yet (the page lists earlier periods only), or the file names changed — compare them with `files:` in config/publications.yaml',
    });
  }
  // Start all (the host limiter paces them) but wait for every one before reporting, so a failure
  // never leaves downloads still writing in the background.
  const settled = await Promise.allSettled(chosen.map((l) => fetchToStore(l.url, { ...fetchOpts, expect: 'data' })));
  const files: IndexEntry[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') throw linkedFrom(s.reason, url);
    files.push(s.value.entry);
    if (s.value.fetched) fetchedCount++;
  }
  const title = pageTitle(html);
  return { kind: 'page', page: first.entry, files, links: chosen, ...(title ? { title } : {}), fetchedCount, ...(refused.length ? { refused } : {}) };
}

/** Add the page to a linked file's error: the user never wrote that file URL in config. */
function linkedFrom(err: unknown, pageUrl: string): unknown {
  if (!(err instanceof DownloadError)) return err;
  const hint =
    err.kind === 'not-found'
      ? 'the page links a file the server does not have (a broken link on the publisher\'s side); try again later, ' +
        'or list the file URLs of this period in config/publications.yaml instead of the page'
      : (err.hint ?? '');
  return new DownloadError({
    url: err.url,
    kind: err.kind,
    summary: `${err.summary} (linked from the page ${pageUrl})`,
    hint,
    cause: err,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.attempts !== undefined ? { attempts: err.attempts } : {}),
  });
}

/** Whether a stored entry is an HTML page: Content-Type first, else the first bytes. */
async function isHtmlEntry(store: DownloadStore, entry: IndexEntry): Promise<boolean> {
  if (entry.contentType && /html/i.test(entry.contentType)) return true;
  if (entry.contentType && /spreadsheet|excel|csv|zip|opendocument/i.test(entry.contentType)) return false;
  const fh = await open(store.blobPath(entry), 'r');
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return looksLikeHtml(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Page text, decoded with the charset the server declared (UTF-8 otherwise). */
export async function readText(store: DownloadStore, entry: IndexEntry): Promise<string> {
  const bytes = await readFile(store.blobPath(entry));
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(entry.contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** The URL relative links on the page resolve against: after redirects for HTTP, a file: URL locally. */
function pageLocation(url: string, entry: IndexEntry, baseDir: string): string {
  const source = resolveSource(url, baseDir);
  if (source.kind === 'file') return pathToFileURL(resolve(source.path)).href;
  return entry.finalUrl ?? source.href;
}
