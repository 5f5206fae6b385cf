/**
 * File content hashes with a stat cache: (path, size, mtime, ctime, inode) → sha256, persisted in `.cache/`.
 * The cache only saves re-reading unchanged files; deleting it changes no decision, because a
 * cache miss simply hashes the file again.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sha256File, type Digest } from './digest.ts';

interface Entry { size: number; mtimeNs: string; ctimeNs: string; ino: number; sha256: Digest }
const FORMAT = 'nhs-pipeline-hash-cache';
const VERSION = 1;

export class FileHasher {
  #entries = new Map<string, Entry>();
  #dirty = false;
  /** Files actually read (cache misses), for tests and benchmarks. */
  hashedCount = 0;

  /** @param cacheFile where the stat cache lives (e.g. `.cache/hashes.json`); undefined keeps it in memory only. */
  constructor(private readonly cacheFile?: string) {}

  /** Reads the persisted cache; a missing, corrupt or old-format cache is silently treated as empty. */
  async load(): Promise<void> {
    if (!this.cacheFile) return;
    try {
      const parsed = JSON.parse(await readFile(this.cacheFile, 'utf8'));
      if (parsed?.format !== FORMAT || parsed.version !== VERSION) return;
      for (const [path, e] of Object.entries(parsed.entries as Record<string, Entry>)) this.#entries.set(path, e);
    } catch {
      // A cache is an optimisation: anything unreadable means "hash again".
    }
  }

  /** Content hash of `path`, or undefined when the file does not exist. */
  async hash(path: string): Promise<Digest | undefined> {
    let st;
    try {
      st = await stat(path, { bigint: true });
    } catch {
      this.#entries.delete(path);
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const key = { size: Number(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs), ino: Number(st.ino) };
    const hit = this.#entries.get(path);
    if (hit && hit.size === key.size && hit.mtimeNs === key.mtimeNs && hit.ctimeNs === key.ctimeNs && hit.ino === key.ino) {
      return hit.sha256;
    }
    const digest = await sha256File(path);
    this.hashedCount++;
    this.#entries.set(path, { ...key, sha256: digest });
    this.#dirty = true;
    return digest;
  }

  /** Writes the cache atomically if anything changed. */
  async save(): Promise<void> {
    if (!this.cacheFile || !this.#dirty) return;
    await mkdir(dirname(this.cacheFile), { recursive: true });
    const tmp = `${this.cacheFile}.tmp-${process.pid}`;
    const entries = Object.fromEntries([...this.#entries].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFile(tmp, JSON.stringify({ format: FORMAT, version: VERSION, entries }));
    await rename(tmp, this.cacheFile);
    this.#dirty = false;
  }
}
