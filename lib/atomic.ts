/**
 * Atomic file output: every file a user can see is first written as `<path>.tmp-<pid>-<random>` in the same folder and
 * then renamed over the target, so readers see either the old complete file or the new complete file, never a torn
 * one, and a failure leaves the old file untouched (docs/CONTRACTS.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { trackTemp } from './exit-cleanup.ts';

/** The temporary name used next to `path`: same folder (so the rename cannot cross file systems), unique per call. */
export function tempPathFor(path: string): string {
  const tmp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  // Removed at exit if still there (a second Ctrl-C, a closed terminal): lib/exit-cleanup.ts.
  trackTemp(tmp);
  return tmp;
}

/**
 * `<name>.tmp-<pid>-<12 hex>`: the one temporary-name scheme of every file the pipeline writes. Names that
 * earlier versions used (`<name>.tmp-<pid>`, shorter random parts, `.tmp-<pid>-<hex>`) are recognised too,
 * so what they left behind is still collected, and so is a lock moved aside to be checked (`<lock>.stale-<pid>-<hex>`,
 * lib/lock.ts) by a process killed before it removed it.
 */
const TEMP_NAME = /\.tmp-(\d+)(?:-[0-9a-f]+)?$|^build\.lock\.(\d+)\.tmp$|\.lock\.stale-(\d+)-[0-9a-f]+$/;

/**
 * The process that wrote a temporary file named by {@link tempPathFor}, or undefined when `name` is not one.
 * A temporary file whose writer no longer runs is garbage: the writer was killed before its rename.
 */
export function tempWriterPid(name: string): number | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? Number(m[1] ?? m[2] ?? m[3]) : undefined;
}

/** SHA-256 (lower-case hex) and size of a file, streamed in 1 MiB chunks so large Parquet files are not held in memory. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Flushes a file's data to disk so a crash right after the rename cannot leave an empty or partial file under the final name. */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Durability. A rename makes a file appear whole or not at all to every process, which is what a crash of this
 * process (kill -9, Ctrl-C) needs. After a power loss, though, a file renamed before its bytes reached the disk can
 * come back empty. Every artifact of the pipeline is checked against its record when it is read (a manifest's body
 * against its digest, a Parquet file's footer and hash), so such a file is rebuilt, never trusted: it is not worth
 * an fsync (5 ms a file here, 50 s over the 10,000 manifests of a large workspace). `durable` fsyncs before the
 * rename, for the few files that cannot be rebuilt (the workspace's identity).
 */
export interface WriteOptions { durable?: boolean }

/**
 * Produces `path` atomically: creates the parent folder, lets `produce` write the temporary path, then renames it
 * over `path` (fsyncing first when `durable`). If `produce` throws (or `signal` is aborted before the rename) the
 * temporary file is removed and the error is rethrown; an existing file at `path` is never touched in that case.
 *
 * @returns whatever `produce` returned.
 */
export async function publishAtomic<T>(
  path: string,
  produce: (tempPath: string) => Promise<T>,
  signal?: AbortSignal,
  opts: WriteOptions = {},
): Promise<T> {
  signal?.throwIfAborted();
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    const result = await produce(temp);
    signal?.throwIfAborted();
    if (opts.durable) await fsyncFile(temp);
    signal?.throwIfAborted();
    await rename(temp, path);
    return result;
  } catch (error) {
    // force: the producer may have failed before creating the file at all.
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes `data` to `path` atomically (temporary file in the same folder, then rename). Creates the parent folder if
 * needed. On failure nothing new is left behind and a previous file at `path` stays as it was.
 *
 * @param path - final file path, e.g. `output/metadata/<table>.md`.
 * @param data - text (written as UTF-8) or bytes.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: WriteOptions = {}): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`Cannot write ${path}: it is a directory; remove it or choose another path.`);
  await publishAtomic(
    path,
    async (temp) => {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
    },
    undefined,
    opts,
  );
}
