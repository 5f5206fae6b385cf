/**
 * The streaming unpacker of the embedded database's template (lib/db/unpack.ts): folders and files come out byte for
 * byte, whatever the chunking; anything but folders and regular files inside the folder, or a cut-off archive, is
 * refused. (That the template's cluster opens and equals initdb's: ./pglite-template.test.ts.)
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackTgz } from '../../lib/db/unpack.ts';

/** One ustar entry: header (name, size, type, magic), data, padding to the block. */
function entry(name: string, type: string, data = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write(type, 156);
  h.write('ustar\0', 257);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
const archive = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));

describe('unpackTgz', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'unpack-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes folders and files byte for byte, leading slashes dropped (as PGlite dumps them)', async () => {
    const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    await writeFile(join(dir, 'ok.tgz'), archive(entry('/base', '5'), entry('/base/1', '0', big), entry('/empty', '0'), entry('/PG_VERSION', '0', Buffer.from('17\n'))));
    await unpackTgz(join(dir, 'ok.tgz'), join(dir, 'ok'));
    expect((await readdir(join(dir, 'ok'))).sort()).toEqual(['PG_VERSION', 'base', 'empty']);
    expect((await readFile(join(dir, 'ok', 'base', '1'))).equals(big)).toBe(true);
    expect(await readFile(join(dir, 'ok', 'empty'), 'utf8')).toBe('');
    expect(await readFile(join(dir, 'ok', 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it.each([
    ['a path leaving the folder', archive(entry('../escaped', '0', Buffer.from('x'))), /leaves the folder/],
    ['a symbolic link', archive(entry('/link', '2')), /neither a folder nor a regular file/],
    ['an archive cut off inside a file', gzipSync(entry('/f', '0', Buffer.alloc(2000)).subarray(0, 1200)), /truncated/],
  ])('refuses %s', async (_, bytes, error) => {
    const tgz = join(dir, `bad-${Math.random()}.tgz`);
    await writeFile(tgz, bytes);
    await expect(unpackTgz(tgz, join(dir, 'bad'))).rejects.toThrow(error);
  });
});
