/**
 * Options, results and defaults shared by the download functions (`fetchToStore`, `fetchPeriod`).
 */
import type { HostLimiter } from './limiter.ts';
import type { DownloadStore, IndexEntry } from './store.ts';

/** Side effects, injectable for tests (defaults: global fetch, a real timer, the system clock). */
export interface WebDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
}

/** Options shared by `fetchToStore` and `fetchPeriod`. */
export interface FetchOptions {
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
  /** Limit for one attempt, headers and body together, in ms (default 10 minutes). */
  timeoutMs?: number;
  /** Called before each backoff wait. */
  onRetry?: (info: { url: string; attempt: number; waitMs: number; reason: string }) => void;
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
/** Largest accepted download: 2 GiB (the biggest NHS files are a few hundred MB). */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
