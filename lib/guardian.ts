/**
 * A guardian for a process that writes a workspace: a tiny detached process that waits for the writer to end
 * and then removes what only a writer killed outright leaves (its `*.tmp-<pid>-*` files and the `.cache/*.lock`
 * files naming its pid), and only then: a writer that ended normally released its locks, so the guardian walks
 * nothing after an ordinary build. Having swept, it says so on the writer's stderr (which it shares), in place of
 * the cancel summary the writer could not print. A second Ctrl-C or a closed terminal is handled in the writer itself
 * (lib/exit-cleanup.ts); this covers what cannot be: `tsx` answers a Ctrl-C its child does not acknowledge within
 * 30 ms (a child busy parsing a workbook or compiling the embedded database) with SIGKILL, and so do OOM killers.
 * It is plain JavaScript run by `node -e`, so it starts in milliseconds and loads nothing of the pipeline.
 *
 * It learns that the writer ended from a pipe only the writer holds open (its fd 3 here): the kernel closes it
 * however the writer ends, kill -9 included, and the guardian exits at once. It shares the writer's stderr, and
 * whoever reads that stderr (a shell pipeline, `tee`, a CI log) waits until every holder has closed it: polling
 * every quarter second, as it once did, made every build look ~0.15 s longer to them.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

const SCRIPT = String.raw`
const { readdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const [pid, root] = [Number(process.argv[1]), process.argv[2]];
const alive = () => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const mine = new RegExp('\\.tmp-' + pid + '-[0-9a-f]+$');
// The locks in .cache naming the writer: a writer that ended normally released them (and removed its temp files).
function ownLocks() {
  try {
    return readdirSync(join(root, '.cache')).filter((n) => n.endsWith('.lock')).map((n) => join(root, '.cache', n)).filter((p) => {
      try { return JSON.parse(readFileSync(p, 'utf8')).pid === pid; } catch { return false; }
    });
  } catch { return []; }
}
function sweep() {
  const locks = ownLocks();
  if (!locks.length) return; // ended normally: nothing to walk
  let temps = 0;
  for (const dir of ['downloads', '.cache', 'manifests', 'output']) {
    let entries = [];
    try { entries = readdirSync(join(root, dir), { withFileTypes: true, recursive: dir !== '.cache' }); } catch { continue; }
    for (const e of entries) if (e.isFile() && mine.test(e.name)) { rmSync(join(e.parentPath, e.name), { force: true }); temps++; }
  }
  try { for (const e of readdirSync(join(root, '.cache', 'tmp'))) if (mine.test(e)) { rmSync(join(root, '.cache', 'tmp', e), { force: true }); temps++; } } catch {}
  for (const path of locks) rmSync(path, { force: true });
  // The build could not say it was cut short: say it for it (on its stderr, which this process shares).
  try {
    process.stderr.write('\nThe build (pid ' + pid + ') was stopped before it could finish (killed outright, as tsx does to a child that does not answer a Ctrl-C at once, or an out-of-memory killer): removed ' + temps + ' temporary file' + (temps === 1 ? '' : 's') + ' and its lock. The next build redoes what was cut short.\n');
  } catch {}
}
let done = false;
const check = () => { if (done || alive()) return; done = true; sweep(); process.exit(0); };
// The writer's end of the lifeline closes when it ends, however it ends.
const lifeline = new (require('node:net').Socket)({ fd: 3, readable: true, writable: false });
// Once it closes, the writer is gone or going (a zombie until its parent reaps it): look closely for a while.
lifeline.on('close', () => { let n = 0; const t = setInterval(() => { check(); if (++n >= 300) clearInterval(t); }, 10); }).on('error', () => undefined).resume();
// In case the lifeline says nothing (it cannot be read here): ask now and then.
setInterval(check, 1000);
`;

/** Starts the guardian of this process over workspace `root`; it ends when this process does (sweeping first if it was killed). */
export function startGuardian(root: string): void {
  try {
    // Its stderr is the build's: the one line it may print is read where the build's own would have been.
    const child = spawn(process.execPath, ['-e', SCRIPT, String(process.pid), root], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    child.unref();
    // This end stays open, unread, until this process ends; it keeps nothing here waiting.
    (child.stdio[3] as Socket | null)?.unref();
  } catch {
    // No guardian (no process slots left): the next writer still collects what a killed one left (rules/temp.ts).
  }
}
