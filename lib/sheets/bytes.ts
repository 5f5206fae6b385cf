/**
 * Byte sources: a file on disk, an in-memory buffer or a zip member, behind one small interface so
 * the CSV and workbook readers do not care where the bytes come from. Streams are pull-based async
 * iterables, so a slow consumer never makes the producer buffer the whole file.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';

/** Something that can be read at arbitrary offsets (the zip reader needs this for the central directory). */
export interface RandomAccess {
  size: number;
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A readable stream of bytes plus a way to read them all (workbooks need the whole buffer). */
export interface ByteSource {
  /** Uncompressed size when known (declared size for zip members). */
  size: number;
  stream(signal?: AbortSignal): AsyncIterable<Uint8Array>;
  readAll(signal?: AbortSignal): Promise<Uint8Array>;
  /** First `n` bytes (fewer if the source is shorter). */
  head(n: number): Promise<Uint8Array>;
}

/** Opens a file for random access reads. */
export async function openFileAccess(path: string): Promise<RandomAccess> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    async read(position, length) {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    },
    close: () => fh.close(),
  };
}

/** Random access over an in-memory buffer (nested zips). */
export function bufferAccess(bytes: Uint8Array): RandomAccess {
  return {
    size: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
    close: async () => {},
  };
}

/** A file on disk as a byte source; streams in 256 KiB chunks. */
export function fileSource(path: string, size: number): ByteSource {
  return {
    size,
    async *stream(signal) {
      const rs = createReadStream(path, { highWaterMark: 256 * 1024, signal });
      for await (const chunk of rs) yield chunk as Buffer;
    },
    async readAll(signal) {
      const parts: Buffer[] = [];
      for await (const chunk of this.stream(signal)) parts.push(Buffer.from(chunk));
      return Buffer.concat(parts);
    },
    async head(n) {
      const ra = await openFileAccess(path);
      try {
        return await ra.read(0, n);
      } finally {
        await ra.close();
      }
    },
  };
}

/** An in-memory buffer as a byte source. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async *stream() {
      for (let i = 0; i < bytes.length; i += 256 * 1024) yield bytes.subarray(i, i + 256 * 1024);
    },
    readAll: async () => bytes,
    head: async (n) => bytes.subarray(0, n),
  };
}

/** Throws the signal's reason when it is aborted (checked between chunks and rows). */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}
