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
import { DEFAULT_ATTEMPTS, DEFAULT_MAX_BYTES, timeoutsOf, type FetchOptions, type FetchResult } from './options.ts';
import { errorCode, networkError, request, RetryableFailure, timedOut, describeError } from './request.ts';
import { resolveSource } from './source.ts';
import type { DownloadStore, IndexEntry } from './store.ts';
import { htmlNotData, promisesData, streamIntoStore, tooLarge } from './stream.ts';
import { duration, Watchdog } from './watchdog.ts';

export type { FetchOptions, FetchResult, WebDeps } from './options.ts';

const USER_AGENT = 'nhs-pipeline/0.1 (statistical publication loader)';

/** Shared by every call that does not bring its own limiter, so parallel callers still respect 4/host. */
const defaultLimiter = createHostLimiter(4);

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
  const { maxWaitMs } = timeoutsOf(opts);

  for (let attempt = 1; ; attempt++) {
    try {
      const result = await limiter(source.href, () => attemptHttp(url, source.href, conditional, attempt, opts));
      return { ...result, blobWasMissing };
    } catch (err) {
      if (!(err instanceof RetryableFailure)) throw err;
      if (attempt >= maxAttempts) throw err.error(attempt);
      // A server asking for a longer pause than we wait (429 with Retry-After: 3600) is asked again by
      // the next build, not waited for in silence by this one.
      if (err.waitMs !== undefined && err.waitMs > maxWaitMs) throw waitRefused(err.error(attempt), err.waitMs, maxWaitMs);
      const waitMs = Math.min(err.waitMs ?? backoffMs(attempt), maxWaitMs);
      opts.onRetry?.({ url, attempt, waitMs, reason: err.reason });
      await sleep(waitMs, opts.signal);
    }
  }
}

/** The error for a server that asked to be left alone for longer than a build waits. */
function waitRefused(last: DownloadError, waitMs: number, maxWaitMs: number): DownloadError {
  return new DownloadError({
    url: last.url,
    kind: last.kind,
    ...(last.status !== undefined ? { status: last.status } : {}),
    ...(last.attempts !== undefined ? { attempts: last.attempts } : {}),
    summary: `${last.summary.replace(/ after \d+ attempts$/, '')}: the server asks to wait ${duration(waitMs)} before trying again, longer than a build waits (${duration(maxWaitMs)})`,
    hint: 'try again later: this is not recorded as a failure, so the next build asks again (NHS_PIPELINE_HTTP_MAX_WAIT, in seconds, raises the limit)',
    cause: last,
  });
}

/** One HTTP request (with its redirects); resolves with the result, throws RetryableFailure or a terminal error. */
async function attemptHttp(
  url: string,
  href: string,
  conditional: IndexEntry | undefined,
  attempt: number,
  opts: FetchOptions,
): Promise<Omit<FetchResult, 'blobWasMissing'>> {
  const fetchImpl = opts.deps?.fetch ?? fetch;
  const now = opts.deps?.now ?? (() => new Date());
  const limits = timeoutsOf(opts);
  const dog = new Watchdog({ idleMs: limits.idleTimeoutMs, totalMs: limits.timeoutMs, noticeMs: limits.noticeMs, url, ...(opts.onNotice ? { onNotice: opts.onNotice } : {}), ...(opts.onProgress ? { onProgress: (m: string) => opts.onProgress!(`${url}: ${m}`) } : {}) });
  const signal = opts.signal ? AbortSignal.any([opts.signal, dog.signal]) : dog.signal;

  try {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
    if (conditional?.etag) headers['if-none-match'] = conditional.etag;
    if (conditional?.lastModified) headers['if-modified-since'] = conditional.lastModified;
    const { res, finalUrl } = await request(url, href, { fetch: fetchImpl, headers, signal, caller: opts.signal, dog });
    dog.headers();

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
    const encoding = (res.headers.get('content-encoding') ?? 'identity').toLowerCase();
    const lengthHeader = res.headers.get('content-length');
    const expectedLength = encoding === 'identity' && lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    dog.headers(expectedLength);
    if (expectedLength !== undefined && expectedLength > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(url, expectedLength, maxBytes);
    }

    const name = sanitiseFileName(
      fileNameFromContentDisposition(res.headers.get('content-disposition')) ?? nameFromUrls(href, finalUrl),
    );
    const rejectHtml = opts.expect === 'data' || (opts.expect !== 'page' && (isDataFileUrl(href) || promisesData(contentType)));

    let stored: { sha256: string; size: number };
    try {
      stored = await streamIntoStore(opts.store, watched(res.body ?? emptyStream(), dog), { url, name, maxBytes, rejectHtml, expectedLength });
    } catch (err) {
      throw bodyFailure(url, err, encoding, opts.signal, dog);
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
    dog.stop();
  }
}

/** Why reading a body failed: the caller's abort, our checks, the watchdog, a damaged encoding, or a cut connection. */
function bodyFailure(url: string, err: unknown, encoding: string, caller: AbortSignal | undefined, dog: Watchdog): unknown {
  if (caller?.aborted) return caller.reason;
  if (err instanceof DownloadError) return err;
  if (dog.fired) return timedOut(url, dog.reason(), err);
  if (errorCode(err)?.startsWith('Z_')) {
    // The same bytes come back on every try: no retry in this build, but the server's fault, not the data's.
    return new DownloadError({
      url,
      kind: 'bad-encoding',
      summary: `${url}: the server declared Content-Encoding: ${encoding} but sent a body that does not decode as ${encoding} (${describeError((err as Error).cause ?? err)})`,
      hint: 'the server, or a proxy on the way, is sending damaged data; try again later, or download the file by hand and point config at the local path',
      cause: err,
    });
  }
  const reason = `connection lost mid-download: ${describeError(err)}`;
  return new RetryableFailure(reason, (attempts) => networkError(url, reason, attempts, err, 'truncated'));
}

/** The body, telling the watchdog of every chunk (silence between chunks is what it times). */
async function* watched(body: AsyncIterable<Uint8Array>, dog: Watchdog): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    dog.data(chunk.length);
    yield chunk;
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

async function* emptyStream(): AsyncIterable<Uint8Array> {}
