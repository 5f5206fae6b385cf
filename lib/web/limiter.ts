/**
 * Per-host concurrency limiting and retry timing.
 *
 * NHS sites sit behind CloudFlare, which answers bursts with 429/403; a page with 30 files must not
 * open 30 connections at once. The limit is per host (host:port), so a local test server and a real
 * site never wait on each other.
 */

/** Runs `fn` when fewer than the limit of calls for the URL's host are in flight. */
export type HostLimiter = <T>(url: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Create a limiter allowing at most `perHost` concurrent calls per host; further calls queue in
 * arrival order. URLs without a host (local paths, `file:`) share one queue.
 */
export function createHostLimiter(perHost: number): HostLimiter {
  if (!Number.isInteger(perHost) || perHost < 1) {
    throw new RangeError(`createHostLimiter: perHost must be a positive integer, got ${perHost}`);
  }
  const hosts = new Map<string, { active: number; waiting: (() => void)[] }>();

  return async <T>(url: string, fn: () => Promise<T>): Promise<T> => {
    const key = hostKey(url);
    let h = hosts.get(key);
    if (!h) {
      h = { active: 0, waiting: [] };
      hosts.set(key, h);
    }
    const slot = h;
    if (slot.active >= perHost) {
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    } else {
      slot.active++;
    }
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same) or free it.
      const next = slot.waiting.shift();
      if (next) next();
      else {
        slot.active--;
        if (slot.active === 0) hosts.delete(key);
      }
    }
  };
}

function hostKey(url: string): string {
  try {
    const u = new URL(url);
    return u.host !== '' ? u.host.toLowerCase() : u.protocol;
  } catch {
    return 'local';
  }
}

/**
 * Milliseconds a Retry-After header asks for (delta-seconds or an HTTP-date relative to `now`);
 * undefined when absent or unparseable. Not capped here: the caller decides whether to wait that long.
 */
export function retryAfterMs(header: string | null | undefined, now: Date): number | undefined {
  if (header == null) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** Exponential backoff before attempt `attempt + 1`: 1 s, 2 s, 4 s, … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}

/** Default `sleep`: a timer that rejects with the signal's reason when aborted. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
