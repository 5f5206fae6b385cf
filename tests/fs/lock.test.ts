/**
 * The workspace lock's takeover of a stale lock. Two processes can judge the same dead holder's lock stale at
 * once; the first takes the lock, and the second must then not remove that fresh, live lock. The interleaving
 * is made deterministic here: the lock file is replaced between "judged stale" and "remove".
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, removeIfStill, type LockHolder } from '../../lib/lock.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const dead: LockHolder = { pid: 2 ** 22 + 12345, since: '2026-01-01T00:00:00.000Z', command: 'build' };

describe('workspace lock', () => {
  it('removes a stale lock that is still the one judged stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lock-'));
    dirs.push(dir);
    await writeFile(join(dir, 'build.lock'), JSON.stringify(dead));
    await removeIfStill(join(dir, 'build.lock'), dead);
    await expect(readFile(join(dir, 'build.lock'), 'utf8')).rejects.toThrow();
  });

  it('leaves a live lock that replaced the stale one in the meantime', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lock-'));
    dirs.push(dir);
    const live: LockHolder = { pid: process.pid, since: new Date().toISOString(), command: 'build' };
    await writeFile(join(dir, 'build.lock'), JSON.stringify(live)); // another process won the takeover
    await removeIfStill(join(dir, 'build.lock'), dead);
    expect(JSON.parse(await readFile(join(dir, 'build.lock'), 'utf8'))).toEqual(live);
  });

  it('takes over a lock whose holder is gone, and waits (saying so once) for a live one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lock-'));
    dirs.push(dir);
    const path = join(dir, 'build.lock');
    await writeFile(path, JSON.stringify(dead));
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const me = { pid: process.pid, since: new Date().toISOString(), command: 'build' };
    const first = await acquireLock(path, me, { signal: new AbortController().signal, sleep });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(me);
    // A second holder in this process would be us: simulate another live process by a live pid of ours' parent.
    await first.release();
    await writeFile(path, JSON.stringify({ pid: process.ppid, since: 'now', command: 'watch' }));
    const waits: LockHolder[] = [];
    const ac = new AbortController();
    const second = acquireLock(path, me, { signal: ac.signal, sleep, onWait: (h) => waits.push(h) });
    await sleep(700);
    expect(waits.map((w) => w.command)).toEqual(['watch']);
    ac.abort();
    await expect(second).rejects.toBeDefined();
  });
});
