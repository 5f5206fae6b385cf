/**
 * The build log: a stat signature vouches for what was read from a file, never for a file that changed. Each
 * case writes a real file, remembers what was read from it, and asks the log again in a fresh process's view
 * (a new BuildLog loaded from disk), as the next command would.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildLog, statSignature } from '../../lib/build-log.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'build-log-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const logFile = () => join(dir, '.cache', 'build-log.json');
/** What the next command sees: the log as saved. */
const reopen = () => new BuildLog(logFile()).load();
const settle = () => new Promise((r) => setTimeout(r, 30));

async function remembered(path: string, text: string, data: unknown): Promise<void> {
  await writeFile(path, text);
  await settle(); // the write is older than the log, as after any real build
  const log = new BuildLog(logFile()).load();
  log.remember('manifest', path, statSignature(path), data);
  await log.save();
}

describe('build log', () => {
  it('vouches for a file whose signature is unchanged, so it is not read again', async () => {
    const path = join(dir, 'a.yaml');
    await remembered(path, 'body: 1\n', { record: 'r1' });
    const log = reopen();
    expect(log.lookup('manifest', path, statSignature(path))).toEqual({ record: 'r1' });
    expect(log.misses).toBe(0);
  });

  it('a file rewritten with other bytes is not vouched for', async () => {
    const path = join(dir, 'a.yaml');
    await remembered(path, 'body: 1\n', { record: 'r1' });
    await writeFile(path, 'body: 22\n');
    expect(reopen().lookup('manifest', path, statSignature(path))).toBeUndefined();
  });

  it('an edit in place with its size and mtime restored is noticed (the ctime moves)', async () => {
    const path = join(dir, 'a.yaml');
    await remembered(path, 'body: 1\n', { record: 'r1' });
    const before = await stat(path, { bigint: true });
    execFileSync('cp', ['-p', path, join(dir, 'ref')]); // keeps the timestamps to the nanosecond
    await settle();
    await writeFile(path, 'body: 2\n'); // same size
    execFileSync('touch', ['-r', join(dir, 'ref'), path]);
    const after = await stat(path, { bigint: true });
    expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);
    expect(reopen().lookup('manifest', path, statSignature(path))).toBeUndefined();
  });

  it('a file changed after the log was last written is read again until a later save settles it (racy entries)', async () => {
    const path = join(dir, 'a.yaml');
    const log = new BuildLog(logFile()).load();
    log.setNamed('start', 'x', 1);
    await log.save();
    await writeFile(path, 'body: 1\n'); // changed after the log's last save, perhaps within its timestamp tick
    log.remember('manifest', path, statSignature(path), { record: 'r1' });
    expect(log.lookup('manifest', path, statSignature(path))).toBeUndefined();
    await log.save(); // waits for the clock to pass the file's last change, then writes
    expect(log.lookup('manifest', path, statSignature(path))).toEqual({ record: 'r1' });
    expect(reopen().lookup('manifest', path, statSignature(path))).toEqual({ record: 'r1' });
  });

  it('a file dated in the future stays racy, and saving does not wait for the clock to reach it', async () => {
    const path = join(dir, 'a.yaml');
    await writeFile(path, 'body: 1\n');
    const later = new Date(Date.now() + 3_600_000);
    await utimes(path, later, later);
    const log = new BuildLog(logFile()).load();
    log.remember('manifest', path, statSignature(path), { record: 'r1' });
    const t0 = Date.now();
    await log.save();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(reopen().lookup('manifest', path, statSignature(path))).toBeUndefined();
  });

  it('a damaged or foreign log is an empty one', async () => {
    const path = join(dir, 'a.yaml');
    await remembered(path, 'body: 1\n', { record: 'r1' });
    await writeFile(logFile(), '{"format":"nhs-pipeline-build-log","version":1,"entr');
    expect(reopen().lookup('manifest', path, statSignature(path))).toBeUndefined();
    await writeFile(logFile(), JSON.stringify({ format: 'something-else', version: 1, entries: {} }));
    expect(reopen().lookup('manifest', path, statSignature(path))).toBeUndefined();
  });

  it('hashes a file once per change of its signature', async () => {
    const path = join(dir, 'data.csv');
    await writeFile(path, 'a,b\n1,2\n');
    await settle();
    const log = new BuildLog(logFile()).load();
    const first = await log.hash(path);
    await log.save();
    const again = reopen();
    expect(await again.hash(path)).toBe(first);
    expect(again.misses).toBe(0);
    await writeFile(path, 'a,b\n1,3\n');
    expect(await again.hash(path)).not.toBe(first);
    expect(await again.hash(join(dir, 'missing.csv'))).toBeUndefined();
  });

  it('keeps one file per folder of artifacts, and a save rewrites only the folders whose entries changed', async () => {
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(a, 'x.yaml'), 'x: 1\n');
    await writeFile(join(b, 'y.yaml'), 'y: 1\n');
    await settle();
    const log = new BuildLog(logFile()).load();
    log.remember('manifest', join(a, 'x.yaml'), statSignature(join(a, 'x.yaml')), 'x1');
    log.remember('manifest', join(b, 'y.yaml'), statSignature(join(b, 'y.yaml')), 'y1');
    await log.save();
    const files = await readdir(join(dir, '.cache', 'build-log'));
    expect(files).toHaveLength(2);
    const written = new Map(await Promise.all(files.map(async (f) => [f, (await stat(join(dir, '.cache', 'build-log', f))).mtimeMs] as const)));
    await settle();
    await writeFile(join(a, 'x.yaml'), 'x: 22\n');
    const next = reopen();
    expect(next.lookup('manifest', join(a, 'x.yaml'), statSignature(join(a, 'x.yaml')))).toBeUndefined();
    next.remember('manifest', join(a, 'x.yaml'), statSignature(join(a, 'x.yaml')), 'x2');
    await next.save();
    const rewritten = [];
    for (const [f, ms] of written) if ((await stat(join(dir, '.cache', 'build-log', f))).mtimeMs !== ms) rewritten.push(f);
    expect(rewritten).toHaveLength(1);
    const last = reopen();
    expect(last.lookup('manifest', join(a, 'x.yaml'), statSignature(join(a, 'x.yaml')))).toBe('x2');
    expect(last.lookup('manifest', join(b, 'y.yaml'), statSignature(join(b, 'y.yaml')))).toBe('y1');
    // A folder's file of another generation (the main file was lost and written anew) is not trusted.
    await rm(logFile());
    const lost = reopen();
    expect(lost.lookup('manifest', join(b, 'y.yaml'), statSignature(join(b, 'y.yaml')))).toBeUndefined();
    lost.setNamed('n', 'f', 1);
    await lost.save();
    expect(await readdir(join(dir, '.cache', 'build-log')).catch(() => [])).toEqual([]);
  });

  it('named values hold only while their fingerprint is the one given', async () => {
    const log = new BuildLog(logFile()).load();
    log.setNamed('registry', 'fp1', { periods: 3 });
    await log.save();
    expect(reopen().named('registry', 'fp1')).toEqual({ periods: 3 });
    expect(reopen().named('registry', 'fp2')).toBeUndefined();
    expect(JSON.parse(await readFile(logFile(), 'utf8')).format).toBe('nhs-pipeline-build-log');
  });
});
