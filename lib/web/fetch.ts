/**
 * `fetchToStore`: download one URL (or read one local file) into the content-addressed store.
 *
 * Bytes are streamed into a temp file inside `downloads/` while being hashed and counted; only a
 * complete, verified body is renamed into `downloads/<sha256>/<name>` and recorded in the index. Any
 * failure (truncation, HTML instead of a spreadsheet, size limit, abort) removes the temp file, so
 * the store never holds a partial or wrong file under a trusted name.
 */
import { DownloadError, httpStatusError } from './errors.ts';
import { backoffMs, createHostLimiter, defaultSleep, retryAfterMs } from './limiter.ts';
import { isDataFileUrl } from './links.ts';
import { fetchLocal } from './local.ts';
import { fileNameFromContentDisposition, lastPathSegment, sanitiseFileName } from './names.ts';
import { DEFAULT_ATTEMPTS, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, type FetchOptions, type FetchResult } from './options.ts';
import { resolveSource } from './source.ts';
import type { DownloadStore, IndexEntry } from './store.ts';
import { htmlNotData, promisesData, streamIntoStore, tooLarge } from './stream.ts';

export type { FetchOptions, FetchResult, WebDeps } from './options.ts';

const USER_AGENT = 'nhs-pipeline/0.1 (statistical publication loader)';

/** Shared by every call that does not bring its own limiter, so parallel callers still respect 4/host. */
const defaultLimiter = createHostLimiter(4);

/** A failure worth another attempt; `error(attempts)` is what the user sees if attempts run out. */
class RetryableFailure extends Error {
  constructor(
    readonly reason: string,
    readonly error: (attempts: number) => DownloadError,
    readonly waitMs?: number,
  ) {
    super(reason);
  }
}

/** Per store, the fetch currently running for each URL (two pages linking one file, parallel periods). */
const running = new WeakMap<DownloadStore, Map<string, Promise<unknown>>>();

/**
 * Make sure the bytes behind `url` are in the store and return their index entry. A URL already
 * indexed with its blob present is not fetched again unless `refresh` is set. Calls for the same URL
 * and store run one after the other, so the second finds the first's download in the index instead
 * of transferring the file again.
 */
export async function fetchToStore(url: string, opts: FetchOptions): Promise<FetchResult> {
  let byUrl = running.get(opts.store);
  if (!byUrl) {
    byUrl = new Map();
    running.set(opts.store, byUrl);
  }
  const previous = byUrl.get(url) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => fetchOnce(url, opts));
  byUrl.set(url, mine);
  try {
    return await mine;
  } finally {
    if (byUrl.get(url) === mine) byUrl.delete(url);
  }
}

async function fetchOnce(url: string, opts: FetchOptions): Promise<FetchResult> {
  const { store } = opts;
  await store.ensureLoaded();
  opts.signal?.throwIfAborted();
  const source = resolveSource(url, opts.baseDir);
  const existing = store.lookup(url);
  const blobOk = existing ? await store.hasBlob(existing) : false;
  const blobWasMissing = existing !== undefined && !blobOk;

  if (source.kind === 'file') return fetchLocal(url, source.path, existing, blobOk, opts);
  if (existing && blobOk && !opts.refresh) return { entry: existing, fetched: false, notModified: false, blobWasMissing };

  const conditional = existing && blobOk && opts.refresh ? existing : undefined;
  const sleep = opts.deps?.sleep ?? defaultSleep;
  const limiter = opts.limiter ?? defaultLimiter;
  const maxAttempts = Math.max(1, opts.retries ?? DEFAULT_ATTEMPTS);

  for (let attempt = 1; ; attempt++) {
    try {
      const result = await limiter(source.href, () => attemptHttp(url, source.href, conditional, attempt, opts));
      return { ...result, blobWasMissing };
    } catch (err) {
      if (!(err instanceof RetryableFailure)) throw err;
      if (attempt >= maxAttempts) throw err.error(attempt);
      const waitMs = err.waitMs ?? backoffMs(attempt);
      opts.onRetry?.({ url, attempt, waitMs, reason: err.reason });
      await sleep(waitMs, opts.signal);
    }
  }
}

/** One HTTP request; resolves with the result, throws RetryableFailure or a terminal error. */
async function attemptHttp(
  url: string,
  href: string,
  conditional: IndexEntry | undefined,
  attempt: number,
  opts: FetchOptions,
): Promise<Omit<FetchResult, 'blobWasMissing'>> {
  const fetchImpl = opts.deps?.fetch ?? fetch;
  const now = opts.deps?.now ?? (() => new Date());
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  // Turn any failure into "user abort" (rethrown as is), "timeout" or "network" (both retryable).
  const transient = (err: unknown, what: 'request failed' | 'connection lost mid-download'): unknown => {
    if (opts.signal?.aborted) return opts.signal.reason;
    const timedOut = timeout.signal.aborted;
    const reason = timedOut ? `timed out after ${timeoutMs} ms` : `${what}: ${describeError(err)}`;
    const kind = timedOut || what === 'request failed' ? 'network' : 'truncated';
    return new RetryableFailure(
      reason,
      (attempts) =>
        new DownloadError({
          url,
          kind,
          attempts,
          summary: `Download of ${url} failed (${reason})${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
          hint: 'check the network connection and try again; files already downloaded are kept',
          cause: err,
        }),
    );
  };

  try {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
    if (conditional?.etag) headers['if-none-match'] = conditional.etag;
    if (conditional?.lastModified) headers['if-modified-since'] = conditional.lastModified;
    let res: Response;
    try {
      res = await fetchImpl(href, { headers, signal, redirect: 'follow' });
    } catch (err) {
      throw transient(err, 'request failed');
    }

    if (res.status === 304 && conditional) {
      await res.body?.cancel().catch(() => undefined);
      return { entry: conditional, fetched: false, notModified: true };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        const reason = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        const wait = retryAfterMs(res.headers.get('retry-after'), now());
        const { status, statusText } = res;
        throw new RetryableFailure(reason, (n) => httpStatusError(url, status, statusText, n), wait);
      }
      throw httpStatusError(url, res.status, res.statusText, attempt);
    }

    const contentType = res.headers.get('content-type') ?? undefined;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    // With Content-Encoding the header counts compressed bytes, while fetch hands us decoded ones.
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const lengthHeader = res.headers.get('content-length');
    const expectedLength = !encoded && lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (expectedLength !== undefined && expectedLength > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(url, expectedLength, maxBytes);
    }

    const finalUrl = res.url && res.url !== href ? res.url : undefined;
    const name = sanitiseFileName(
      fileNameFromContentDisposition(res.headers.get('content-disposition')) ?? nameFromUrls(href, finalUrl),
    );
    const rejectHtml = opts.expect === 'data' || (opts.expect !== 'page' && (isDataFileUrl(href) || promisesData(contentType)));

    let stored: { sha256: string; size: number };
    try {
      stored = await streamIntoStore(opts.store, res.body ?? emptyStream(), { url, name, maxBytes, rejectHtml, expectedLength });
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      throw transient(err, 'connection lost mid-download');
    }

    const entry: IndexEntry = { url, sha256: stored.sha256, size: stored.size, name, downloadedAt: now().toISOString() };
    if (contentType !== undefined) entry.contentType = contentType;
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (etag) entry.etag = etag;
    if (lastModified) entry.lastModified = lastModified;
    if (finalUrl) entry.finalUrl = finalUrl;
    await opts.store.put(entry);
    return { entry, fetched: true, notModified: false };
  } finally {
    clearTimeout(timer);
  }
}

function nameFromUrls(href: string, finalUrl: string | undefined): string {
  const original = lastPathSegment(href);
  // A redirecting download endpoint (`/download?id=1`) has no extension; the target's name is better.
  if (finalUrl && !/\.[a-z0-9]{2,5}$/i.test(original)) {
    const redirected = lastPathSegment(finalUrl);
    if (/\.[a-z0-9]{2,5}$/i.test(redirected)) return redirected;
  }
  return original;
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && detail !== err.message ? `${err.message} (${detail})` : err.message;
}

async function* emptyStream(): AsyncIterable<Uint8Array> {}
