/**
 * Streams a gzipped tar of folders and regular files (what PGlite's `dumpDataDir` writes: ustar, short names) into a
 * folder, holding no more than a chunk of it in memory. Anything else in the archive (links, long names, paths
 * leaving the folder) is refused: the only archives unpacked are the templates committed with the pipeline.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** A NUL-terminated text field of a tar header. */
const field = (h: Buffer, at: number, len: number) => {
  const end = h.indexOf(0, at);
  return h.toString('utf8', at, end === -1 || end > at + len ? at + len : end);
};

export async function unpackTgz(tgz: string, dir: string): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  let buf: Buffer = Buffer.alloc(0);
  let out: FileHandle | undefined; // the file whose bytes come next
  let left = 0; // of its bytes still to write
  let skip = 0; // padding to the next header
  try {
    for await (const chunk of createReadStream(tgz).pipe(createGunzip()) as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (out) {
          const n = Math.min(left, buf.length);
          await out.write(buf.subarray(0, n));
          buf = buf.subarray(n);
          if ((left -= n) > 0) break;
          await out.close();
          out = undefined;
        }
        const s = Math.min(skip, buf.length);
        buf = buf.subarray(s);
        if ((skip -= s) > 0 || buf.length < BLOCK) break;
        const h = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        const name = field(h, 0, 100);
        if (name === '') continue; // the zero blocks that end the archive
        const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
        const target = resolve(root, `${prefix ? `${prefix}/` : ''}${name}`.replace(/^\/+/, ''));
        if (target !== root && !target.startsWith(root + sep)) throw new Error(`${tgz}: ${name} leaves the folder`);
        const size = parseInt(field(h, 124, 12).trim() || '0', 8);
        const type = String.fromCharCode(h[156]!);
        if (type === '5') await mkdir(target, { recursive: true });
        else if (type === '0' || type === '\0') {
          await mkdir(dirname(target), { recursive: true });
          out = await open(target, 'w');
          left = size;
        } else throw new Error(`${tgz}: ${name} is neither a folder nor a regular file (tar type ${JSON.stringify(type)})`);
        skip = (BLOCK - (size % BLOCK)) % BLOCK;
      }
    }
    if (out || buf.length > 0) throw new Error(`${tgz} is truncated`);
  } finally {
    await out?.close();
  }
}
