import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../lib/parquet/index.ts';
import { listDir } from './read-back.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-atomic-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes text as UTF-8 and bytes as they are, creating missing folders', async () => {
    const text = join(dir, 'metadata', 'beds.md');
    await writeFileAtomic(text, '# beds – £\n');
    expect(readFileSync(text, 'utf8')).toBe('# beds – £\n');

    const bytes = join(dir, 'blob.bin');
    await writeFileAtomic(bytes, Buffer.from([0, 255, 10]));
    expect([...readFileSync(bytes)]).toEqual([0, 255, 10]);
    expect(listDir(join(dir, 'metadata'))).toEqual(['beds.md']);
  });

  it('replaces an existing file and leaves no temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'replace-'));
    const path = join(sub, 'x.md');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(listDir(sub)).toEqual(['x.md']);
  });

  it('fails on a folder in the way without touching it', async () => {
    const sub = mkdtempSync(join(dir, 'folder-'));
    mkdirSync(join(sub, 'x.md'));
    await expect(writeFileAtomic(join(sub, 'x.md'), 'text')).rejects.toThrow(
      `Cannot write ${join(sub, 'x.md')}: it is a directory; remove it or choose another path.`,
    );
    expect(listDir(sub)).toEqual(['x.md']);
  });
});
