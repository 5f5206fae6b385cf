/**
 * Errors raised while downloading publication files.
 *
 * Every failure a user can cause (wrong URL, unpublished period, blocked site, broken local path)
 * becomes a {@link DownloadError} whose message names the URL, what happened and what to do, so the
 * CLI can print it as-is. `kind` lets callers branch without parsing text.
 */

import { PipelineError } from '../failure.ts';

/** What went wrong, coarse enough for a caller to decide (skip period, stop, retry later). */
export type DownloadErrorKind =
  | 'not-found'
  | 'forbidden'
  | 'http'
  | 'html-not-data'
  | 'truncated'
  | 'network'
  | 'redirect'
  | 'bad-encoding'
  | 'too-large'
  | 'no-data-links'
  | 'local-missing'
  | 'bad-port';

/** The hint shown for URLs that 404/410: by far the most common cause is an unpublished period. */
export const HINT_NOT_PUBLISHED =
  'the period may not be published yet — check the URL in config/publications.yaml';

/** A download or page-discovery failure. `message` already contains the hint; `hint` is also kept separately. */
export class DownloadError extends PipelineError {
  /** The URL (or path) exactly as the caller passed it. */
  readonly url: string;
  /** HTTP status of the last response, when there was one. */
  readonly status?: number;
  readonly kind: DownloadErrorKind;
  /** What happened and where, without the hint (for re-wrapping with more context). */
  readonly summary: string;
  /** How many HTTP attempts were made before giving up (1 for terminal errors). */
  readonly attempts?: number;
  /**
   * The server or the network failed (5xx, 408, 429, timeouts, refused or cut connections, a body damaged
   * in transit): the next build tries again. A redirect loop or a redirect out of http(s) is the site's
   * answer to this URL, like a 404: kept.
   */
  readonly environmental: boolean;

  constructor(init: {
    url: string;
    kind: DownloadErrorKind;
    summary: string;
    hint: string;
    status?: number;
    attempts?: number;
    cause?: unknown;
  }) {
    // Nothing about the URL or the file is wrong, the server or the network failed: worth trying again next build.
    const environmental = init.kind === 'network' || init.kind === 'truncated' || init.kind === 'bad-encoding' || (init.kind === 'http' && init.status !== undefined && (init.status >= 500 || init.status === 429 || init.status === 408));
    super({ kind: environmental ? 'environment' : 'input', message: init.summary, hint: init.hint, location: init.url, cause: init.cause, text: `${init.summary} — ${init.hint}` });
    this.name = 'DownloadError';
    this.environmental = environmental;
    this.url = init.url;
    this.kind = init.kind;
    this.summary = init.summary;
    if (init.status !== undefined) this.status = init.status;
    if (init.attempts !== undefined) this.attempts = init.attempts;
  }
}

/** `downloads/index.json` exists but cannot be used (not JSON, wrong shape, unsafe names). */
export class DownloadIndexError extends PipelineError {
  /** Absolute path of the index file. */
  readonly path: string;

  constructor(path: string, problem: string) {
    const hint =
      `delete ${path} (the downloaded files stay; they will be re-indexed by downloading again) ` +
      'or restore it from a backup';
    const message = `Cannot read the download index ${path}: ${problem}`;
    super({ kind: 'environment', message, hint, location: path, text: `${message} — ${hint}` });
    this.name = 'DownloadIndexError';
    this.path = path;
  }
}

/** Build the terminal error for an HTTP status that retrying will not fix. */
export function httpStatusError(url: string, status: number, statusText: string, attempts: number): DownloadError {
  const label = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status === 404 || status === 410) {
    return new DownloadError({
      url,
      status,
      attempts,
      kind: 'not-found',
      summary: `${label} for ${url}`,
      hint: HINT_NOT_PUBLISHED,
    });
  }
  if (status === 401 || status === 403) {
    return new DownloadError({
      url,
      status,
      attempts,
      kind: 'forbidden',
      summary: `${label} (access refused) for ${url}`,
      hint:
        `${HINT_NOT_PUBLISHED}; if the URL opens in a browser, the site may be blocking ` +
        'automated downloads (CloudFlare) — download the file by hand and point config at the local path',
    });
  }
  return new DownloadError({
    url,
    status,
    attempts,
    kind: 'http',
    summary: `${label} for ${url}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    hint:
      status >= 500 || status === 429
        ? 'the server kept failing; try again later (files already downloaded are kept)'
        : 'check the URL in config/publications.yaml',
  });
}
