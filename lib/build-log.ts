/**
 * The build log (`.cache/build-log.json`), as Ninja's `.ninja_log` or git's index: for each artifact, what was
 * last read from it (its record, its digest), keyed by the artifact's stat signature (size, mtime, ctime, inode).
 * An artifact whose signature is unchanged is not read again, so deciding "nothing to do" costs a `stat` per
 * artifact instead of a parse.
 *
 * It is kept in one file per folder of artifacts (`.cache/build-log/<hash of the folder>.json`), read the first time
 * a file of that folder is asked about, and written only when its entries changed; `.cache/build-log.json` holds the
 * named values and the generation every folder's file must carry. A build that decides one period of a workspace of
 * 2,000 reads and writes that period's folders, not an 8 MB log of everything (~0.15 s less).
 *
 * It is a cache and only a cache: a missing, damaged or old-format log is an empty one, and every lookup that
 * misses falls back to reading the artifact. Deleting `.cache/` changes no decision, only the time.
 *
 * Racy timestamps (git's "racy clean" problem): a file can be changed again within the same timestamp tick
 * as the write we observed, leaving its signature unchanged. So an entry whose file changed at or after the
 * moment the log itself was written is not trusted: its artifact is read again (and the entry, once re-read,
 * is trusted from the next save on). Editing a file in place and restoring its size and mtime still changes
 * its ctime, which is part of the signature.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic, hashFile } from './atomic.ts';

const FORMAT = 'nhs-pipeline-build-log';
const VERSION = 3;
/** Time left between the newest artifact a save describes and the save itself, so few entries are racy. */
const SETTLE_MS = 20;

/** An artifact's stat signature: equal signatures mean the file was not touched (see the racy rule above). */
export interface Signature {
  /** `size:mtimeMs:ctimeMs:ino`, times to the fraction of a millisecond Node reports (file systems tick coarser). */
  key: string;
  /** The file's last change, in ms since the epoch: the larger of mtime and ctime. */
  changedMs: number;
}

/** The signature of a regular file, or undefined when there is none (missing, a folder, unreadable). */
export function statSignature(path: string): Signature | undefined {
  // Plain (not bigint) stats: a no-op stats every artifact, and BigInt fields would be most of what it allocates.
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st || !st.isFile()) return undefined;
  return { key: `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`, changedMs: st.mtimeMs > st.ctimeMs ? st.mtimeMs : st.ctimeMs };
}

/** Whether `path` is a folder now (absent, a file, unreadable: not). */
export function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/**
 * Waits until the clock is past the newest of `changedMs` (file change times) by a settling margin, so what is
 * written next is not racy against them. A time in the future (a clock skew, `touch -d`) is never waited for: such a
 * file stays racy until the clock passes it.
 */
export async function settlePast(changedMs: Iterable<number>, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const now = Date.now();
  let newest = 0;
  for (const t of changedMs) if (t > newest && t <= now + SETTLE_MS) newest = t;
  const wait = newest + SETTLE_MS - now;
  if (wait > 0) await sleep(Math.ceil(wait) + 1);
}

/** Read on behalf of no one decision in particular (the config, a walk over every manifest): a change affects all. */
export const EVERYTHING = 'everything';

interface Entry { sig: string; changed: number; data: unknown }
interface Named { fingerprint: string; data: unknown }
/** `.cache/build-log.json`: the named values, and the generation that makes the folders' files its own. */
interface LogFile { format: string; version: number; generation: string; named: Record<string, Named> }
/** One folder's file: the entries of the artifacts in that folder. */
interface FolderFile { format: string; version: number; generation: string; folder: string; entries: Record<string, Entry> }
/** One folder's entries; `writtenMs`: its file's change time when read or written (entries changed at or after it are racy). */
interface Folder { entries: Map<string, Entry>; writtenMs: number; dirty: boolean }

export class BuildLog {
  #folders = new Map<string, Folder>();
  #named = new Map<string, Named>();
  /** Which save the folders' files must come from: a new one when the main file is missing or damaged. */
  #generation: string = randomUUID();
  /** The folders' files on disk are of an older generation (or none): remove them all at the next save. */
  #fresh = true;
  /** The main file's change time when read: what a folder without a file of its own is racy against. */
  #writtenMs = 0;
  #dirty = false;
  /** Files read because the log could not vouch for them (misses), for tests and benchmarks. */
  misses = 0;
  /** Every file whose signature this process looked at, with what it was then (null: absent); see {@link consulted}. */
  readonly #consulted = new Map<string, Signature | null>();
  /** Named values vouched for, with their fingerprints. */
  readonly #consultedNamed = new Map<string, string>();
  /** For each consulted file, on whose behalf (see {@link signature}). */
  readonly #askers = new Map<string, Set<string> | typeof EVERYTHING>();
  /** Folders whose presence was asked (on behalf of everything), with the answer then; see {@link hasFolder}. */
  readonly #folderPresence = new Map<string, boolean>();

  /** @param file where the log lives; undefined keeps it in memory only (tests, `watch` between saves). */
  constructor(private readonly file?: string) {}

  /** Reads the log's main file from disk; anything unreadable is an empty log (it is a cache). */
  load(): this {
    if (!this.file) return this;
    try {
      const sig = statSignature(this.file);
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as LogFile;
      if (!sig || parsed?.format !== FORMAT || parsed.version !== VERSION || typeof parsed.generation !== 'string') return this;
      this.#writtenMs = sig.changedMs;
      this.#generation = parsed.generation;
      this.#fresh = false;
      this.#named = new Map(Object.entries(parsed.named ?? {}));
    } catch {
      // A damaged log costs time, never a wrong decision.
    }
    return this;
  }

  /** Where the entries of files in `folder` are kept. */
  #folderFile(folder: string): string {
    return join(dirname(this.file!), 'build-log', `${createHash('sha256').update(folder).digest('hex').slice(0, 32)}.json`);
  }

  /** The entries of the files in `folder`, read from its file the first time (empty when it has none of this generation). */
  #folder(folder: string): Folder {
    let f = this.#folders.get(folder);
    if (f) return f;
    f = { entries: new Map(), writtenMs: this.#writtenMs, dirty: false };
    this.#folders.set(folder, f);
    if (!this.file || this.#fresh) return f;
    try {
      const path = this.#folderFile(folder);
      const sig = statSignature(path);
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as FolderFile;
      if (sig && parsed?.format === FORMAT && parsed.version === VERSION && parsed.generation === this.#generation && parsed.folder === folder) {
        f.entries = new Map(Object.entries(parsed.entries ?? {}));
        f.writtenMs = sig.changedMs;
      }
    } catch {
      // none yet, or damaged: an empty folder
    }
    return f;
  }

  /**
   * The signature of `path` now (see {@link statSignature}), noted as consulted: on behalf of `asker` (the key
   * whose decision reads it), or of everything when no asker is named. A file read on behalf of everything once
   * stays so: a change to it cannot be pinned on one decision.
   */
  signature(path: string, asker?: string): Signature | undefined {
    const sig = statSignature(path);
    this.#consulted.set(path, sig ?? null);
    const owners = this.#askers.get(path);
    if (asker === undefined) this.#askers.set(path, EVERYTHING);
    else if (owners === undefined) this.#askers.set(path, new Set([asker]));
    else if (owners !== EVERYTHING) owners.add(asker);
    return sig;
  }

  /**
   * Whether `path` is a folder now, noted as consulted on behalf of everything: an absent folder answers for every
   * file that would be in it (one `stat` instead of one per file), and its appearing is seen by the next build.
   */
  hasFolder(path: string): boolean {
    const present = isFolder(path);
    this.#folderPresence.set(path, present);
    return present;
  }

  /**
   * One signature for files that are one artifact (a Parquet file and its Markdown): either changing changes it.
   * Undefined when any is missing; each is noted as consulted, as by {@link signature}.
   */
  signatures(paths: string[], asker?: string): Signature | undefined {
    const sigs = paths.map((p) => this.signature(p, asker));
    if (sigs.some((s) => s === undefined)) return undefined;
    return { key: sigs.map((s) => s!.key).join('|'), changedMs: Math.max(...sigs.map((s) => s!.changedMs)) };
  }

  /**
   * Every file whose signature was looked at through this log since it was created, with the signature it had,
   * and every named value vouched for with its fingerprint: what a decision made meanwhile depended on. `askers`:
   * for each file, the keys it was read on behalf of, or {@link EVERYTHING}; `folders`: see {@link hasFolder}.
   */
  consulted(): { files: Map<string, Signature | null>; named: Map<string, string>; askers: Map<string, Set<string> | typeof EVERYTHING>; folders: Map<string, boolean> } {
    return { files: this.#consulted, named: this.#consultedNamed, askers: this.#askers, folders: this.#folderPresence };
  }

  /** What was remembered for `path` under `kind`, when its signature is unchanged and not racy. */
  lookup<T>(kind: string, path: string, sig: Signature | undefined): T | undefined {
    const folder = sig && this.#folder(dirname(path));
    const e = folder && folder.entries.get(`${kind}\u0000${path}`);
    if (!e || e.sig !== sig.key || e.changed >= folder.writtenMs) {
      this.misses++;
      return undefined;
    }
    return e.data as T;
  }

  /** Remembers `data` as read from `path` while it had signature `sig`. */
  remember(kind: string, path: string, sig: Signature | undefined, data: unknown): void {
    if (!sig) return this.forget(kind, path);
    const folder = this.#folder(dirname(path));
    folder.entries.set(`${kind}\u0000${path}`, { sig: sig.key, changed: sig.changedMs, data });
    folder.dirty = true;
  }

  forget(kind: string, path: string): void {
    const folder = this.#folder(dirname(path));
    if (folder.entries.delete(`${kind}\u0000${path}`)) folder.dirty = true;
  }

  /**
   * A value that is not one file (what the database held, say), valid while `fingerprint` is what its
   * owner computes now; undefined otherwise.
   */
  named<T>(name: string, fingerprint: string): T | undefined {
    const n = this.#named.get(name);
    if (!n || n.fingerprint !== fingerprint) return undefined;
    this.#consultedNamed.set(name, fingerprint);
    return n.data as T;
  }

  /** The value last kept under `name`, whatever its fingerprint (for readers that cannot check it now). */
  namedAny<T>(name: string): T | undefined {
    return this.#named.get(name)?.data as T | undefined;
  }

  /** The fingerprint the value under `name` was last kept with (what its owner saw then), if any. */
  namedFingerprint(name: string): string | undefined {
    return this.#named.get(name)?.fingerprint;
  }

  setNamed(name: string, fingerprint: string, data: unknown): void {
    this.#named.set(name, { fingerprint, data });
    this.#dirty = true;
  }

  forgetNamed(name: string): void {
    if (this.#named.delete(name)) this.#dirty = true;
  }

  /** SHA-256 of a file through the log: read only when its signature changed. Undefined when missing. `asker`: see {@link signature}. */
  async hash(path: string, asker?: string): Promise<string | undefined> {
    const sig = this.signature(path, asker);
    if (!sig) return undefined;
    const known = this.lookup<string>('sha256', path, sig);
    if (known) return known;
    const { sha256 } = await hashFile(path);
    // The file may have changed while it was read: remember the digest only under the signature it had before.
    this.remember('sha256', path, sig, sha256);
    return sha256;
  }

  /** Writes (atomically) each folder's file whose entries changed, and the main file when its values did. */
  async save(sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
    if (!this.file) return;
    const dirty = [...this.#folders].filter(([, f]) => f.dirty);
    if (!dirty.length && !this.#dirty && !this.#fresh) return;
    // Let the clock tick past the newest artifact, so it is not racy against the files written now.
    await settlePast((function* () {
      for (const [, f] of dirty) for (const e of f.entries.values()) yield e.changed;
    })(), sleep);
    // A new generation: the folders' files of the old one (or of a damaged log) go first, then this one's are written.
    if (this.#fresh) await rm(join(dirname(this.file), 'build-log'), { recursive: true, force: true });
    for (const [folder, f] of dirty) {
      const path = this.#folderFile(folder);
      const body: FolderFile = { format: FORMAT, version: VERSION, generation: this.#generation, folder, entries: Object.fromEntries(f.entries) };
      await writeFileAtomic(path, JSON.stringify(body));
      f.writtenMs = statSignature(path)?.changedMs ?? 0;
      f.dirty = false;
    }
    // The main file last: until it names this generation, the folders' files written above are not trusted.
    if (this.#dirty || this.#fresh) {
      const body: LogFile = { format: FORMAT, version: VERSION, generation: this.#generation, named: Object.fromEntries(this.#named) };
      await writeFileAtomic(this.file, JSON.stringify(body));
      this.#writtenMs = statSignature(this.file)?.changedMs ?? 0;
      this.#dirty = false;
      this.#fresh = false;
    }
  }
}
