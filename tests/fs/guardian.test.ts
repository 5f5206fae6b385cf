/**
 * The guardian of a writer: when the writer is killed outright it removes the writer's temp files and locks and
 * says so on the writer's stderr; when the writer ends normally it leaves at once and says nothing. Either way it
 * lets go of that stderr, so whoever reads it (a pipe, a CI log) sees the end of the output.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** A writer that starts its guardian, leaves a lock and a temp file, then waits (or, with `end`, cleans up and ends). */
function writer(ws: string, end: boolean) {
  const code = `
    import { writeFileSync, rmSync } from 'node:fs';
    const { startGuardian } = await import(${JSON.stringify(join(ROOT, 'lib/guardian.ts'))});
    const ws = ${JSON.stringify(ws)};
    writeFileSync(ws + '/.cache/build.lock', JSON.stringify({ pid: process.pid }));
    writeFileSync(ws + '/output/t.parquet.tmp-' + process.pid + '-ab12', 'half');
    startGuardian(ws);
    process.stdout.write('ready\\n');
    if (${end}) { rmSync(ws + '/.cache/build.lock'); rmSync(ws + '/output/t.parquet.tmp-' + process.pid + '-ab12'); }
    else setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // 'close': every holder of the pipes (the writer and its guardian) has let go of them.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const ready = new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
  return { child, closed, ready, err: () => err };
}

describe('the guardian', () => {
  let ws: string;
  afterEach(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
  });
  const prepare = async () => {
    ws = await mkdtemp(join(tmpdir(), 'guardian-'));
    await mkdir(join(ws, '.cache'));
    await mkdir(join(ws, 'output'));
  };

  it('sweeps after a writer killed outright, says so on its stderr, then lets go of it', async () => {
    await prepare();
    const w = writer(ws, false);
    await w.ready;
    expect((await readdir(join(ws, 'output'))).length).toBe(1);
    w.child.kill('SIGKILL');
    await w.closed;
    expect(await readdir(join(ws, 'output'))).toEqual([]);
    expect(await readdir(join(ws, '.cache'))).toEqual([]);
    expect(w.err()).toMatch(/was stopped before it could finish .*removed 1 temporary file and its lock/);
  }, 30_000);

  it('leaves without a word after a writer that ended normally', async () => {
    await prepare();
    const w = writer(ws, true);
    await w.ready;
    await w.closed;
    expect(w.err()).toBe('');
    expect(await readdir(join(ws, 'output'))).toEqual([]);
  }, 30_000);
});
