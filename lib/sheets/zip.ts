/**
 * A small zip reader: lists members from the central directory and streams one member through
 * fflate's inflater. It never inflates a whole archive in memory, which is what makes multi-GB
 * NHS CSV zips loadable, and it guards against zip bombs three ways: the sum of declared sizes,
 * the compression ratio of each member, and the bytes actually produced (declared sizes can lie).
 */
import { Inflate } from 'fflate';
import type { ByteSource, RandomAccess } from './bytes.ts';
import { throwIfAborted } from './bytes.ts';
import { SheetError, type SheetLocation } from './types.ts';

/** Zip-bomb limits; defaults suit NHS publications (largest real members are a few GB of CSV). */
export interface ZipLimits {
  /** Maximum sum of uncompressed member sizes in one archive (default 8 GiB). */
  maxUncompressedBytes: number;
  /** Maximum uncompressed/compressed ratio for members larger than 16 MiB (default 200). */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUncompressedBytes: 8 * 1024 ** 3, maxRatio: 200 };

/** One member as listed in the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const utf8 = new TextDecoder('utf-8');

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 0x100000000;
}

/** Reads the central directory. Throws SheetError for a truncated or corrupt archive. */
export async function listZip(ra: RandomAccess, where: SheetLocation): Promise<ZipEntry[]> {
  const corrupt = (what: string) =>
    new SheetError(`Zip archive is truncated or corrupt: ${what}`, where, 'Download the file again; if it stays broken, the publisher served a damaged file.');
  const tailLen = Math.min(ra.size, 65557);
  const tail = await ra.read(ra.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record');
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    // Zip64: the locator sits 20 bytes before the classic record.
    const loc = eocd - 20;
    if (loc < 0 || u32(tail, loc) !== 0x07064b50) throw corrupt('zip64 locator missing');
    const rec = await ra.read(u64(tail, loc + 8), 56);
    if (u32(rec, 0) !== 0x06064b50) throw corrupt('zip64 end record missing');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > ra.size) throw corrupt('central directory lies beyond the end of the file');
  const cd = await ra.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50) throw corrupt(`central directory entry ${i + 1} is damaged`);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    const entry: ZipEntry = {
      flags: u16(cd, p + 8),
      method: u16(cd, p + 10),
      compressedSize: u32(cd, p + 20),
      size: u32(cd, p + 24),
      localHeaderOffset: u32(cd, p + 42),
      name: utf8.decode(cd.subarray(p + 46, p + 46 + nameLen)),
    };
    // Zip64 extra field carries the real sizes/offset when the classic ones are saturated.
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = u16(cd, e);
      const len = u16(cd, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (entry.size === 0xffffffff) (entry.size = u64(cd, q)), (q += 8);
        if (entry.compressedSize === 0xffffffff) (entry.compressedSize = u64(cd, q)), (q += 8);
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = u64(cd, q);
      }
      e += 4 + len;
    }
    entries.push(entry);
    p = end + commentLen;
  }
  return entries;
}

/** Checks the archive against the zip-bomb limits before anything is inflated. */
export function checkZipLimits(entries: ZipEntry[], limits: ZipLimits, where: SheetLocation): void {
  let total = 0;
  for (const e of entries) {
    total += e.size;
    const ratio = e.size / Math.max(1, e.compressedSize);
    if (e.size > 16 * 1024 ** 2 && ratio > limits.maxRatio) {
      throw new SheetError(
        `Zip member "${e.name}" would inflate ${e.compressedSize} bytes to ${e.size} bytes (ratio ${Math.round(ratio)}:1, limit ${limits.maxRatio}:1) — looks like a zip bomb`,
        where,
        'Check the download; if the file is genuine, raise maxRatio in the zip limits.',
      );
    }
  }
  if (total > limits.maxUncompressedBytes) {
    throw new SheetError(
      `Zip archive declares ${total} uncompressed bytes, above the limit of ${limits.maxUncompressedBytes}`,
      where,
      'Check the download; if the file is genuine, raise maxUncompressedBytes in the zip limits.',
    );
  }
}

/** A zip member as a byte source; inflation is streamed and capped at the declared size. */
export function memberSource(ra: RandomAccess, entry: ZipEntry, where: SheetLocation): ByteSource {
  async function* stream(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    if (entry.flags & 1) {
      throw new SheetError(`Zip member "${entry.name}" is encrypted`, where, 'Ask the publisher for an unencrypted copy; password-protected zips cannot be read.');
    }
    if (entry.method !== 0 && entry.method !== 8) {
      throw new SheetError(`Zip member "${entry.name}" uses compression method ${entry.method}`, where, 'Only stored and deflated members are supported; re-pack the archive with standard deflate.');
    }
    const lh = await ra.read(entry.localHeaderOffset, 30);
    if (lh.length < 30 || u32(lh, 0) !== 0x04034b50) {
      throw new SheetError(`Zip member "${entry.name}" has a damaged local header`, where, 'Download the file again.');
    }
    let pos = entry.localHeaderOffset + 30 + u16(lh, 26) + u16(lh, 28);
    const end = pos + entry.compressedSize;
    if (end > ra.size) throw new SheetError(`Zip member "${entry.name}" is truncated`, where, 'Download the file again.');
    let produced = 0;
    const out: Uint8Array[] = [];
    const inflater = entry.method === 8 ? new Inflate() : undefined;
    if (inflater) inflater.ondata = (chunk) => void out.push(chunk);
    while (pos < end) {
      throwIfAborted(signal);
      const n = Math.min(256 * 1024, end - pos);
      const chunk = await ra.read(pos, n);
      pos += n;
      if (inflater) inflater.push(chunk, pos >= end);
      else out.push(chunk);
      while (out.length) {
        const piece = out.shift()!;
        produced += piece.length;
        if (produced > entry.size) {
          throw new SheetError(
            `Zip member "${entry.name}" inflates beyond its declared size of ${entry.size} bytes — looks like a zip bomb`,
            where,
            'Do not trust this archive; download it again from the publisher.',
          );
        }
        yield piece;
      }
    }
    if (produced !== entry.size) {
      throw new SheetError(`Zip member "${entry.name}" inflated to ${produced} bytes but declares ${entry.size}`, where, 'The archive is damaged; download it again.');
    }
  }
  return {
    size: entry.size,
    stream,
    async readAll(signal) {
      const buf = new Uint8Array(entry.size);
      let o = 0;
      for await (const piece of stream(signal)) {
        buf.set(piece, o);
        o += piece.length;
      }
      return buf;
    },
    async head(n) {
      const parts: Uint8Array[] = [];
      let got = 0;
      for await (const piece of stream()) {
        parts.push(piece);
        got += piece.length;
        if (got >= n) break;
      }
      const buf = new Uint8Array(Math.min(n, got));
      let o = 0;
      for (const p of parts) {
        const take = Math.min(p.length, buf.length - o);
        buf.set(p.subarray(0, take), o);
        o += take;
        if (o >= buf.length) break;
      }
      return buf;
    },
  };
}
