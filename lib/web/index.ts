/**
 * Downloading publication files into the content-addressed store (`downloads/<sha256>/<name>` +
 * `downloads/index.json`) and finding the data files a publication page links to.
 *
 * Entry points: {@link fetchPeriod} (a period URL → its files), {@link fetchToStore} (one URL),
 * {@link DownloadStore} (the index), {@link findDataLinks} (page scraping).
 */
export { DownloadError, DownloadIndexError, HINT_NOT_PUBLISHED, type DownloadErrorKind } from './errors.ts';
export { fetchToStore } from './fetch.ts';
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_TIMEOUT_MS,
  timeoutsFromEnv,
  type FetchOptions,
  type FetchResult,
  type WebDeps,
  type WebTimeouts,
} from './options.ts';
export { looksLikeHtml } from './stream.ts';
export { backoffMs, createHostLimiter, retryAfterMs, type HostLimiter } from './limiter.ts';
export { findDataLinks, findLinks, isDataFileUrl, pageTitle, type DataLink } from './links.ts';
export { fileNameFromContentDisposition, lastPathSegment, sanitiseFileName } from './names.ts';
export { fetchPeriod, type FetchPeriodOptions, type PeriodFiles } from './period.ts';
export { localPath, resolveSource, toConfigUrl, type Source } from './source.ts';
export { DownloadStore, type IndexEntry } from './store.ts';
