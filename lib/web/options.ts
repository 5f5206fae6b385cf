/**
 * Options, results and defaults shared by the download functions (`fetchToStore`, `fetchPeriod`), and the
 * time limits a user may change through `NHS_PIPELINE_HTTP_*` environment variables.
 */
import { PipelineError } from '../failure.ts';
import type { HostLimiter } from './limiter.ts';
import type { DownloadStore, IndexEntry } from './store.ts';

/** How long a download may wait for what. Each is also a {@link FetchOptions} field of the same name. */
export interface WebTimeouts {
  /** Limit for one attempt, headers and body together, in ms (default 10 minutes). */
  timeoutMs: number;
  /** A server silent this long (no response headers yet, or no body bytes) is given up on, in ms (default 30 s). */
  idleTimeoutMs: number;
  /** Longest single wait between attempts; a server asking (Retry-After) for more is not waited for, in ms (default 60 s). */
  maxWaitMs: number;
  /** How often a request still waited for is said to be (`onNotice`), in ms (default 10 s). */
  noticeMs: number;
}

/** Side effects, injectable for tests (defaults: global fetch, a real timer, the system clock), and time limits. */
export interface WebDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  /** Time limits for every download of the build (the environment's, or a test's short ones). */
  timeouts?: Partial<WebTimeouts>;
}

/** Options shared by `fetchToStore` and `fetchPeriod`. */
export interface FetchOptions extends Partial<WebTimeouts> {
  store: DownloadStore;
  /** Folder relative paths in config are resolved against (the config file's folder). */
  baseDir: string;
  /** Re-check URLs already in the store with a conditional request (local files: re-hash). */
  refresh?: boolean;
  /** 'data' rejects an HTML body; 'page' accepts anything; 'any' rejects HTML only when the URL or Content-Type promised data. Default 'any'. */
  expect?: 'data' | 'page' | 'any';
  signal?: AbortSignal;
  deps?: WebDeps;
  /** Maximum number of HTTP attempts, counting the first (default 4). */
  retries?: number;
  /** Called before each wait between attempts. */
  onRetry?: (info: { url: string; attempt: number; waitMs: number; reason: string }) => void;
  /** Called every `noticeMs` while a request is waited for: what is awaited, and for how long so far. */
  onNotice?: (message: string) => void;
  /** Called as a body arrives (at most four times a second): the URL, bytes so far, of how many, rate and time left. */
  onProgress?: (message: string) => void;
  /** Concurrency limiter; default: one shared process-wide limiter with 4 requests per host. */
  limiter?: HostLimiter;
  /** Largest accepted body in bytes (default 2 GiB). */
  maxBytes?: number;
}

/** What `fetchToStore` did. */
export interface FetchResult {
  entry: IndexEntry;
  /** New bytes were transferred/read and recorded. */
  fetched: boolean;
  /** A refresh found the stored copy current (HTTP 304, or same bytes for a local file). */
  notModified: boolean;
  /** The index knew the URL but its blob was gone or damaged, so it was downloaded again. */
  blobWasMissing: boolean;
}

/** HTTP attempts per URL unless `retries` says otherwise (the first try plus three retries). */
export const DEFAULT_ATTEMPTS = 4;
/** Per-attempt limit (headers and body): generous, since NHS zips reach tens of MB on slow links. */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Silence tolerated from a server: long enough for a slow publication site, short enough not to look hung. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Longest wait between attempts: a server asking for more (429 with `Retry-After: 3600`) is tried again next build. */
export const DEFAULT_MAX_WAIT_MS = 60_000;
/** A request waited for this long is said to be, and again after each further interval. */
export const DEFAULT_NOTICE_MS = 10_000;
/** Largest accepted download: 2 GiB (the biggest NHS files are a few hundred MB). */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

/** The limits in force for one call: the call's own, else the build's (`deps.timeouts`), else the defaults. */
export function timeoutsOf(opts: Partial<WebTimeouts> & { deps?: WebDeps }): WebTimeouts {
  const build = opts.deps?.timeouts ?? {};
  return {
    timeoutMs: opts.timeoutMs ?? build.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    idleTimeoutMs: opts.idleTimeoutMs ?? build.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxWaitMs: opts.maxWaitMs ?? build.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    noticeMs: opts.noticeMs ?? build.noticeMs ?? DEFAULT_NOTICE_MS,
  };
}

/** The environment variables that change the limits, in seconds. */
const ENV: Record<string, keyof WebTimeouts> = {
  NHS_PIPELINE_HTTP_TIMEOUT: 'timeoutMs',
  NHS_PIPELINE_HTTP_IDLE_TIMEOUT: 'idleTimeoutMs',
  NHS_PIPELINE_HTTP_MAX_WAIT: 'maxWaitMs',
};

/** The limits set in `env` (seconds, fractions allowed); a value that is not a positive number is a usage error. */
export function timeoutsFromEnv(env: Record<string, string | undefined>): Partial<WebTimeouts> {
  const out: Partial<WebTimeouts> = {};
  for (const [name, field] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new PipelineError({ kind: 'usage', message: `${name}=${JSON.stringify(raw)} is not a number of seconds`, hint: `set ${name} to a positive number of seconds (e.g. 30), or unset it for the default` });
    }
    out[field] = Math.round(seconds * 1000);
  }
  return out;
}
