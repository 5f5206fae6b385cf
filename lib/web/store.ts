/**
 * The content-addressed download store: `downloads/<sha256>/<name>` plus `downloads/index.json`
 * mapping each URL (exactly as written in config) to what was downloaded from it.
 *
 * Blobs are immutable and named by their content hash, so a re-published file with new bytes gets a
 * new folder and nothing already built from the old bytes changes underneath anyone. The index is
 * the only mutable file; it is rewritten atomically and writes within a process are serialised.
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { tempPathFor, tempWriterPid, writeFileAtomic } from '../atomic.ts';
import { isProcessAlive } from '../process.ts';
import { DownloadIndexError } from './errors.ts';
import { sanitiseFileName } from './names.ts';

/** One URL's download as recorded in `downloads/index.json`. */
export interface IndexEntry {
  /** The URL or path exactly as written in config (local paths stay relative, so workspaces move). */
  url: string;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  /** Size in bytes. */
  size: number;
  /** Sanitised original file name (Content-Disposition, else the URL's last path segment). */
  name: string;
  contentType?: string;
  /** Validators for conditional refreshes (HTTP); for local files `lastModified` is the file's mtime. */
  etag?: string;
  lastModified?: string;
  /** URL after redirects, when it differs from `url` (relative links on a page resolve against it). */
  finalUrl?: string;
  /** ISO timestamp from the injected clock. */
  downloadedAt: string;
}

/** On-disk shape: snake_case keys, entries keyed by URL, sorted for stable diffs. */
interface IndexFileEntry {
  sha256: string;
  size: number;
  name: string;
  content_type?: string;
  etag?: string;
  last_modified?: string;
  final_url?: string;
  downloaded_at: string;
}

const INDEX_FORMAT = 'nhs-pipeline/downloads-index@1';
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The `downloads/` folder: an index of URL → blob plus the blobs themselves. */
export class DownloadStore {
  /** Absolute path of the `downloads/` folder. */
  readonly dir: string;
  /** Absolute path of `downloads/index.json`. */
  readonly indexPath: string;
  private readonly byUrl = new Map<string, IndexEntry>();
  private loaded = false;
  /** URLs this process has recorded; they win over the on-disk copy when the index is rewritten. */
  private readonly ours = new Set<string>();
  /** Tail of the chain of index writes; each write waits for the previous one. */
  private writeChain: Promise<void> = Promise.resolve();
  /** A write queued but not started: entries recorded now are written by it. */
  private pendingWrite: Promise<void> | undefined;

  /** @param dir the `downloads/` folder (created on first write). */
  constructor(dir: string) {
    this.dir = resolve(dir);
    this.indexPath = join(this.dir, 'index.json');
  }

  /**
   * Read `index.json`. A missing file is an empty store; a corrupt one is a {@link DownloadIndexError}
   * telling the user to delete it (never silently reset: that would hide lost provenance).
   */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.byUrl.clear();
      this.loaded = true;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new DownloadIndexError(this.indexPath, `not valid JSON (${(err as Error).message})`);
    }
    const entries = parseIndex(parsed, this.indexPath);
    this.byUrl.clear();
    for (const e of entries) this.byUrl.set(e.url, e);
    this.loaded = true;
  }

  /** Load once; later calls are no-ops (used by the fetch functions so callers may skip `load()`). */
  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.load();
  }

  /** The entry recorded for this URL (exact string match), if any. */
  lookup(url: string): IndexEntry | undefined {
    return this.byUrl.get(url);
  }

  /** All entries, sorted by URL. */
  entries(): IndexEntry[] {
    return [...this.byUrl.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  /**
   * Absolute path of an entry's blob. Refuses a hash or name that could point outside `downloads/`
   * (e.g. a hand-edited index), so callers can open the result without further checks.
   */
  blobPath(entry: Pick<IndexEntry, 'sha256' | 'name'>): string {
    if (!SHA256_HEX.test(entry.sha256)) {
      throw new DownloadIndexError(this.indexPath, `"${entry.sha256}" is not a SHA-256 hex digest`);
    }
    if (sanitiseFileName(entry.name) !== entry.name) {
      throw new DownloadIndexError(this.indexPath, `unsafe file name ${JSON.stringify(entry.name)}`);
    }
    const p = join(this.dir, entry.sha256, entry.name);
    if (!p.startsWith(this.dir + sep)) {
      throw new DownloadIndexError(this.indexPath, `file name ${JSON.stringify(entry.name)} escapes ${this.dir}`);
    }
    return p;
  }

  /** Whether the blob file exists (and, when the entry carries a size, has that size). */
  async hasBlob(entry: Pick<IndexEntry, 'sha256' | 'name'> & { size?: number }): Promise<boolean> {
    try {
      const st = await stat(this.blobPath(entry));
      return st.isFile() && (entry.size === undefined || st.size === entry.size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** A fresh temp-file path inside `downloads/` (same file system as the blobs, so rename is atomic). */
  async tempPath(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return tempPathFor(join(this.dir, 'download'));
  }

  /**
   * Move a fully written and verified temp file into place as the blob for `entry`. If the blob
   * already exists it holds the same bytes (same hash, same name), so replacing it is harmless.
   */
  async adoptBlob(tempFile: string, entry: Pick<IndexEntry, 'sha256' | 'name'>): Promise<string> {
    const target = this.blobPath(entry);
    await mkdir(join(this.dir, entry.sha256), { recursive: true });
    await rename(tempFile, target);
    return target;
  }

  /**
   * Record (or replace) the entry for `entry.url` and persist the index. Writes are serialised per store and
   * coalesced: entries recorded while a write waits to start join it, so a build recording thousands of files
   * writes the index a few times, not once per file (each write holds every entry).
   */
  put(entry: IndexEntry): Promise<void> {
    this.blobPath(entry); // validate before it can reach the index
    this.byUrl.set(entry.url, { ...entry });
    this.ours.add(entry.url);
    return this.scheduleWrite();
  }

  /**
   * Drop the entries of `urls` from the index and persist it (the blobs are left to the caller). Serialised with
   * {@link put}. The URLs count as this process's own, so the merge with the on-disk index cannot bring them back.
   */
  remove(urls: string[]): Promise<void> {
    for (const url of urls) {
      this.byUrl.delete(url);
      this.ours.add(url);
    }
    return this.scheduleWrite();
  }

  /** The next write of the index: the one waiting to start if there is one, else a new one after the current. */
  private scheduleWrite(): Promise<void> {
    if (this.pendingWrite) return this.pendingWrite;
    const run = (): Promise<void> => {
      this.pendingWrite = undefined; // changes from now on need another write
      return this.writeIndex();
    };
    const next = this.writeChain.then(run, run);
    this.pendingWrite = next;
    // Keep the chain alive after a failed write; the callers still see the failure via `next`.
    this.writeChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Delete partial downloads left by processes that no longer exist (killed mid-download; an
   * orderly failure or abort already removes its own). Returns the removed file names.
   */
  async removeStaleTempFiles(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const removed: string[] = [];
    for (const name of names.sort()) {
      const pid = tempWriterPid(name);
      if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
      await unlink(join(this.dir, name)).catch(() => undefined);
      removed.push(name);
    }
    return removed;
  }

  /**
   * Write index.json via a temp file + rename so readers never see half a file. Entries another
   * process added since our load are merged in (only URLs this process recorded override the disk),
   * so two runs sharing a workspace do not erase each other's downloads.
   */
  private async writeIndex(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    try {
      const onDisk = parseIndex(JSON.parse(await readFile(this.indexPath, 'utf8')), this.indexPath);
      for (const e of onDisk) if (!this.ours.has(e.url)) this.byUrl.set(e.url, e);
    } catch {
      // Missing or damaged on disk: what this process holds is the best index there is.
    }
    const files: Record<string, IndexFileEntry> = {};
    for (const e of this.entries()) files[e.url] = toFileEntry(e);
    await writeFileAtomic(this.indexPath, `${JSON.stringify({ format: INDEX_FORMAT, entries: files }, null, 2)}\n`);
  }
}

function toFileEntry(e: IndexEntry): IndexFileEntry {
  const out: IndexFileEntry = { sha256: e.sha256, size: e.size, name: e.name, downloaded_at: e.downloadedAt };
  if (e.contentType !== undefined) out.content_type = e.contentType;
  if (e.etag !== undefined) out.etag = e.etag;
  if (e.lastModified !== undefined) out.last_modified = e.lastModified;
  if (e.finalUrl !== undefined) out.final_url = e.finalUrl;
  return out;
}

/** Validate the parsed JSON field by field so a damaged index fails here, not deep in a build. */
function parseIndex(parsed: unknown, path: string): IndexEntry[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DownloadIndexError(path, 'expected a JSON object');
  }
  const root = parsed as { format?: unknown; entries?: unknown };
  if (root.format !== INDEX_FORMAT) {
    throw new DownloadIndexError(path, `unknown format ${JSON.stringify(root.format)} (expected "${INDEX_FORMAT}")`);
  }
  if (typeof root.entries !== 'object' || root.entries === null || Array.isArray(root.entries)) {
    throw new DownloadIndexError(path, '"entries" must be an object keyed by URL');
  }
  const out: IndexEntry[] = [];
  for (const [url, raw] of Object.entries(root.entries as Record<string, unknown>)) {
    const where = `entry ${JSON.stringify(url)}`;
    if (typeof raw !== 'object' || raw === null) throw new DownloadIndexError(path, `${where} is not an object`);
    const r = raw as Record<string, unknown>;
    const str = (k: string, required: boolean): string | undefined => {
      const v = r[k];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string') throw new DownloadIndexError(path, `${where}: "${k}" must be a string`);
      return v;
    };
    const sha256 = str('sha256', true)!;
    const name = str('name', true)!;
    if (!SHA256_HEX.test(sha256)) throw new DownloadIndexError(path, `${where}: "sha256" is not a hex digest`);
    if (sanitiseFileName(name) !== name) throw new DownloadIndexError(path, `${where}: unsafe name ${JSON.stringify(name)}`);
    if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0) {
      throw new DownloadIndexError(path, `${where}: "size" must be a non-negative integer`);
    }
    const entry: IndexEntry = { url, sha256, size: r.size, name, downloadedAt: str('downloaded_at', true)! };
    const contentType = str('content_type', false);
    const etag = str('etag', false);
    const lastModified = str('last_modified', false);
    const finalUrl = str('final_url', false);
    if (contentType !== undefined) entry.contentType = contentType;
    if (etag !== undefined) entry.etag = etag;
    if (lastModified !== undefined) entry.lastModified = lastModified;
    if (finalUrl !== undefined) entry.finalUrl = finalUrl;
    out.push(entry);
  }
  return out;
}
