/**
 * Two CSVs that were refused with the wrong reason (issue 14, hole 8): a line of tens of MB without a
 * quote was blamed on "a quoted field never closes", and a CSV holding one NUL byte was called "binary
 * data in no recognised spreadsheet format". Each now says what it is, and where.
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFile, SheetError } from '../../lib/sheets/index.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csv-messages-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function refusal(name: string): Promise<SheetError> {
  const err = await describeFile({ path: join(dir, name), name }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SheetError);
  return err as SheetError;
}

describe('CSV refusals that say what is wrong', () => {
  it('a line longer than 32 MB without a quote is a missing line break, not an open quote', async () => {
    const fh = await open(join(dir, 'long.csv'), 'w');
    await fh.write('CODE,NAME,VALUE\n1,a,2\n');
    const mb = Buffer.alloc(1 << 20, 'a');
    for (let i = 0; i < 33; i++) await fh.write(mb);
    await fh.write('\n3,b,4\n');
    await fh.close();
    const err = await refusal('long.csv');
    expect(err.message).toContain('CSV line 3 runs on for more than 32 MB without a line break');
    expect(err.message).toContain(`${join(dir, 'long.csv')}, line 3:1`);
    expect(err.message).not.toContain('quote');
  });

  it('an open quote is still an open quote', async () => {
    await writeFile(join(dir, 'quote.csv'), `CODE,NAME\n1,"${'x'.repeat(33 * 1024 * 1024)}\n`);
    expect((await refusal('quote.csv')).message).toContain('CSV line 2 starts a record that is still open after 32 MB of text: a quoted field never closes');
  });

  it('a NUL byte near the start: a damaged CSV, named by line and column, not "binary data"', async () => {
    await writeFile(join(dir, 'nul.csv'), 'CODE,NAME,VALUE\n1,A\u0000B,3\n2,C,4\n');
    const err = await refusal('nul.csv');
    expect(err.message).toContain('CSV line 2, column 4 holds a NUL byte, which text never contains');
    expect(err.message).toContain(`${join(dir, 'nul.csv')}, line 2:4`);
  });

  it('a NUL byte deep in the file is refused too, before it can reach a database that refuses it', async () => {
    let text = 'CODE,NAME,VALUE\n';
    for (let i = 0; i < 20_000; i++) text += `${i},name${i},${i}\n`;
    await writeFile(join(dir, 'nul-deep.csv'), `${text}9999,bad\u0000name,1\n`);
    expect((await refusal('nul-deep.csv')).message).toContain('CSV line 20002, column 9 holds a NUL byte');
  });

  it('binary data is still binary data', async () => {
    await writeFile(join(dir, 'blob.csv'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    expect((await refusal('blob.csv')).message).toContain('File is binary data in no recognised spreadsheet format');
  });
});
