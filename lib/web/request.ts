/**
 * One HTTP request, following redirects by hand. fetch's own redirect handling reports every problem
 * on the way as "fetch failed": a loop, a redirect to `file:` or `ftp:`, a redirect to a server that
 * refuses connections all looked like a network glitch, were retried four times and blamed on the
 * user's connection. Following each hop here lets each get its own message and the right treatment:
 * a loop or a redirect out of http(s) is the site's error (not retried, recorded), a redirect target
 * that refuses connections is not retried in this build but tried again in the next.
 */
import { DownloadError } from './errors.ts';
import type { Watchdog } from './watchdog.ts';

/** Redirects followed before giving up (browsers allow about 20; NHS sites use one or two). */
export const MAX_REDIRECTS = 10;

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** A failure worth another attempt; `error(attempts)` is what the user sees if attempts run out. */
export class RetryableFailure extends Error {
  constructor(
    readonly reason: string,
    readonly error: (attempts: number) => DownloadError,
    /** How long the server asked us to wait (Retry-After), if it did. */
    readonly waitMs?: number,
  ) {
    super(reason);
  }
}

export interface Answer {
  res: Response;
  /** The URL that answered, when redirects led elsewhere. */
  finalUrl?: string;
}

/**
 * GET `href` (and the redirects it leads to) with `headers`. Resolves with the first response that is
 * not a redirect; throws a {@link RetryableFailure}, a terminal {@link DownloadError}, or the caller's
 * abort reason.
 */
export async function request(
  url: string,
  href: string,
  o: { fetch: typeof fetch; headers: Record<string, string>; signal: AbortSignal; caller?: AbortSignal; dog: Watchdog },
): Promise<Answer> {
  const chain = [href];
  let current = href;
  for (;;) {
    let res: Response;
    try {
      res = await o.fetch(current, { headers: o.headers, signal: o.signal, redirect: 'manual' });
    } catch (err) {
      throw requestFailure(url, current, chain, err, o);
    }
    o.dog.data(0); // an answer, even a redirect, is not silence
    const location = res.headers.get('location');
    if (!REDIRECT.has(res.status) || location === null) return { res, ...(current !== href ? { finalUrl: current } : {}) };
    await res.body?.cancel().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw redirectError(url, `redirects to ${JSON.stringify(location)}, which is not a URL`);
    }
    next.hash = '';
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw redirectError(url, `redirects to ${next.href}: only http(s) redirects are followed, so a server can never make the pipeline read a local file`);
    }
    if (chain.includes(next.href)) throw redirectError(url, `redirects in a loop: ${[...chain, next.href].join(' → ')}`);
    chain.push(next.href);
    if (chain.length > MAX_REDIRECTS + 1) throw redirectError(url, `redirects more than ${MAX_REDIRECTS} times (${chain.slice(0, 3).join(' → ')} → …)`);
    current = next.href;
  }
}

/** The site sends us somewhere we will not or cannot go: its error, the same on every try. */
function redirectError(url: string, what: string): DownloadError {
  return new DownloadError({
    url,
    kind: 'redirect',
    summary: `${url} ${what}`,
    hint: 'open the URL in a browser: if it works there, put the address it ends at (or the file, downloaded by hand, as a local path) in config/publications.yaml',
  });
}

/** A request that got no response: the caller's abort, the watchdog, a redirect target that is not there, or the network. */
function requestFailure(url: string, current: string, chain: string[], err: unknown, o: { caller?: AbortSignal; dog: Watchdog }): unknown {
  if (o.caller?.aborted) return o.caller.reason;
  if (o.dog.fired) return timedOut(url, o.dog.reason(), err);
  const code = errorCode(err);
  if (chain.length > 1 && (code === 'ECONNREFUSED' || code === 'ENOTFOUND')) {
    // Trying again within seconds will not make the server the site points at appear.
    return new DownloadError({
      url,
      kind: 'network',
      summary: `${url} redirects to ${current}, which ${code === 'ENOTFOUND' ? 'names a host that does not resolve' : 'refuses the connection'} (${code})`,
      hint: 'the site sends its visitors to a server that does not answer; try again later, or open the URL in a browser and put the address it ends at in config/publications.yaml',
      cause: err,
    });
  }
  const unreachable = chain.length === 1 && unreachableHost(url, current, err);
  if (unreachable) return unreachable;
  const reason = `request failed: ${describeError(err)}`;
  return new RetryableFailure(reason, (attempts) => networkError(url, reason, attempts, err, 'network'));
}

/** What a connection that cannot even start means: retrying within seconds changes none of these. */
const CANNOT_CONNECT: Record<string, string> = {
  ENOTFOUND: 'does not resolve (no such host, or no DNS: is this machine offline?)',
  EAI_AGAIN: 'could not be resolved (the DNS server did not answer: is this machine offline?)',
  ECONNREFUSED: 'refuses connections (nothing listens on that port)',
};

/**
 * A host that does not resolve or refuses connections fails at once, without retries: an offline machine would
 * otherwise spend four attempts on every period. The message names the host, not the URL, so the reporters say it
 * once for all the periods on that host. It is the network's state, not the URL's: the next build tries again. A
 * port fetch will never connect to (`bad port`: 6000, 10080, …) is the URL's fault, and kept.
 */
function unreachableHost(url: string, href: string, err: unknown): DownloadError | undefined {
  const code = errorCode(err);
  const host = (() => {
    try {
      return new URL(href).host;
    } catch {
      return href;
    }
  })();
  const cause = (err as { cause?: { message?: string } } | undefined)?.cause?.message;
  if (code === undefined && cause === 'bad port') {
    return new DownloadError({
      url,
      kind: 'bad-port',
      summary: `${url}: port ${new URL(href).port} is one fetch refuses to connect to (a "bad port", reserved for other protocols)`,
      hint: 'check the port in the URL in the config file',
      cause: err,
    });
  }
  if (code === undefined || !(code in CANNOT_CONNECT)) return undefined;
  return new DownloadError({
    url,
    kind: 'network',
    summary: `cannot reach ${host}: it ${CANNOT_CONNECT[code]} (${code})`,
    hint: 'check the network connection and the host name; not retried now, tried again by the next build; files already downloaded are kept',
    cause: err,
  });
}

/** The watchdog gave up on a silent or too slow server: worth another attempt. */
export function timedOut(url: string, reason: string, cause: unknown): RetryableFailure {
  return new RetryableFailure(reason, (attempts) => networkError(url, reason, attempts, cause, 'network'));
}

export function networkError(url: string, reason: string, attempts: number, cause: unknown, kind: 'network' | 'truncated'): DownloadError {
  return new DownloadError({
    url,
    kind,
    attempts,
    summary: `Download of ${url} failed (${reason})${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    hint: 'check the network connection and try again; files already downloaded are kept',
    cause,
  });
}

/** The first `code` along an error's cause chain (undici puts the socket's code on `cause`). */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && detail !== err.message ? `${err.message} (${detail})` : err.message;
}
