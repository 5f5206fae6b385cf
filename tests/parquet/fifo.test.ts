// The named pipe between the export and DuckDB: a writer is never left waiting for a reader that failed before it
// opened its end, and a reader that opened it gets what was written.
import { mkdtemp, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFifo, openWriter } from '../../lib/parquet/fifo.ts';

describe.skipIf(process.platform === 'win32')('named pipe', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nhs-fifo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives no writer when the reader fails before opening its end, instead of waiting for ever', async () => {
    const pipe = path.join(dir, 'failed');
    expect(await makeFifo(pipe)).toBe(true);
    expect(await openWriter(pipe, Promise.reject(new Error('DuckDB refused the SQL')))).toBeUndefined();
  });

  it('hands what is written to a reader that opened the pipe', async () => {
    const pipe = path.join(dir, 'ok');
    expect(await makeFifo(pipe)).toBe(true);
    const reading = (async () => {
      const parts: Buffer[] = [];
      for await (const chunk of createReadStream(pipe)) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString();
    })();
    const writer = await openWriter(pipe, reading);
    expect(writer).toBeDefined();
    const { writeFully } = await import('../../lib/db/types.ts');
    writeFully(writer!.fd, Buffer.from('a,b\n1,2\n'));
    await writer!.close();
    expect(await reading).toBe('a,b\n1,2\n');
  });
});
