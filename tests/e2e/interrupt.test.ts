/**
 * Ctrl-C as a terminal delivers it: SIGINT to the whole process group of `npx tsx pipeline.ts build` (npx, tsx
 * and the pipeline's node all get it, and npx and tsx pass it on again) or of `node --import tsx pipeline.ts build`,
 * during a download that trickles in. Once, or twice, the build leaves no temporary file and no lock, and says
 * what it cut short.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fault } from '../rig/faults.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';

const ROOT = join(import.meta.dirname, '../..');
const OCT = join(ROOT, 'tests/fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv');

/** Temporary files and locks anywhere in the workspace (the embedded database's own files aside). */
async function leftovers(ws: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(ws, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.tmp-|\.lock$|\.stale-/.test(e.name) && !e.parentPath.includes('.pglite')) out.push(join(e.parentPath, e.name));
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

/** `npx tsx pipeline.ts ARGS` (or `node --import tsx pipeline.ts ARGS`) as a terminal runs it: the leader of its own process group. */
function startGroup(launcher: 'npx' | 'node', args: string[]) {
  const [cmd, pre] = launcher === 'npx' ? ['npx', ['tsx']] : [process.execPath, ['--import', 'tsx']];
  const child = spawn(cmd, [...pre, join(ROOT, 'pipeline.ts'), ...args], { cwd: ROOT, detached: true, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = new Promise<number>((r) => child.on('close', (c, sig) => r(c ?? (sig === 'SIGINT' ? 130 : -1))));
  const until = async (cond: () => boolean | Promise<boolean>) => {
    const end = Date.now() + 90_000;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out\nstdout:\n${out}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // Ctrl-C in a terminal: SIGINT to every process of the foreground group.
  // Returns false when the group has already gone (the first press finished the build before the second).
  const ctrlC = () => {
    try {
      process.kill(-child.pid!, 'SIGINT');
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  };
  return { code, until, ctrlC, out: () => out, err: () => err };
}

describe('Ctrl-C through npx', () => {
  let server: TestServer;
  let ws: string;
  beforeAll(async () => {
    server = await startTestServer();
    server.set('/slow.csv', fault.trickle(await readFile(OCT), 4 * 1024, 200));
  });
  afterAll(async () => {
    await server?.close();
  });
  const workspace = async () => {
    ws = await mkdtemp(join(tmpdir(), 'ctrl-c-'));
    await mkdir(join(ws, 'config'));
    await writeFile(join(ws, 'config/publications.yaml'), `publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: ${server.url}/slow.csv\n`);
    return ws;
  };

  it.each([
    ['npx', 1],
    ['npx', 2],
    ['node', 1],
    ['node', 2],
  ] as const)('%s: %i Ctrl-C during a download: exit 130, no temp file, no lock, and what was cut short said', async (launcher, presses) => {
    const ws = await workspace();
    try {
      const p = startGroup(launcher, ['build', '-C', ws]);
      // The download is under way: its temp file exists in downloads/, and the build holds the lock.
      await p.until(async () => (await exists(join(ws, '.cache/build.lock'))) && (await leftovers(ws)).some((f) => f.includes(`${join(ws, 'downloads')}/`)));
      p.ctrlC();
      let second = false;
      if (presses === 2) {
        await p.until(() => /Interrupted/.test(p.err()));
        // A person's second press comes later than the copies npx and tsx pass on of the first.
        await new Promise((r) => setTimeout(r, 600));
        second = p.ctrlC();
      }
      expect(await p.code).toBe(130);
      // What a process killed outright leaves, its guardian removes a moment later.
      await p.until(async () => (await leftovers(ws)).length === 0).catch(() => undefined);
      expect(await leftovers(ws)).toEqual([]);
      // Under npx, tsx SIGKILLs a child that does not acknowledge a relayed signal within 30 ms (one busy compiling
      // the embedded database): then its guardian, having left nothing behind (above), says what happened.
      if (launcher === 'npx') {
        await p.until(() => /cancelled [1-5] |Interrupted again|was stopped before it could finish/.test(p.out() + p.err())).catch(() => undefined);
        expect(p.out() + p.err()).toMatch(/cancelled [1-5] |Interrupted again: quitting now|was stopped before it could finish \(killed outright[^)]*\): removed \d+ temporary files? and its lock/);
        return;
      }
      // One press: the build winds down and says what it cancelled. Two: it quits at once, and says so.
      // (With PostgreSQL the first press may finish the build before a second can arrive: then it is one press.)
      if (!second) expect(p.out()).toMatch(/^built 0, up to date 0, failed 0, skipped 0, cancelled [1-5] /m);
      else expect(p.err()).toMatch(/Interrupted again: quitting now; removed \d+ temporary files?/);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  }, 120_000);
});
