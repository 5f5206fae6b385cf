/**
 * The malformed and hostile corpus (tests/corpus/generate.ts, ≥ 40 files) read as the pipeline reads files:
 * 0 crashes, 0 hangs, 0 silent empty results, and every refusal names the file (and the sheet or line where
 * that applies). The files are read in a child process (tests/corpus/probe.ts) watched from here, so a file
 * that hangs or exhausts memory fails its own case and the rest still run.
 *
 * Cases that wait for issue 14's spreadsheet fixes (holes 3, 4, 5) or for a finding of this corpus are
 * `it.fails`: they pass while the reader is wrong and fail once it is right, to be turned into plain `it`s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, type Case } from './generate.ts';
import type { ProbeResult } from './probe.ts';

/** A file with no result after this long hangs (the slowest, a 40 MB line, takes about a second). */
const HANG_MS = 60_000;
const ROOT = join(import.meta.dirname, '../..');

const dir = await mkdtemp(join(tmpdir(), 'nhs-corpus-'));
const cases = await generateCorpus(dir);
const results = new Map<string, ProbeResult>();

/** Runs the probe over `names`; a file that hangs or kills the process is recorded, and the probe restarts after it. */
async function probeAll(names: string[]): Promise<void> {
  let rest = names;
  while (rest.length) {
    const child = spawn(process.execPath, ['--max-old-space-size=2048', '--import', 'tsx', join(ROOT, 'tests/corpus/probe.ts'), dir, ...rest], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let current: string | undefined;
    let buffer = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (current) results.set(current, { name: current, outcome: 'hang', message: `no result after ${HANG_MS / 1000} s` });
        child.kill('SIGKILL');
      }, HANG_MS);
    };
    arm();
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { start: string } | ProbeResult;
        buffer = buffer.slice(nl + 1);
        if ('start' in msg) current = msg.start;
        else {
          results.set(msg.name, msg);
          current = undefined;
        }
        arm();
      }
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(timer);
    if (current && !results.has(current)) results.set(current, { name: current, outcome: 'died', message: `the reader process ended (exit ${code}) while reading it: ${stderr.slice(-2000)}` });
    rest = rest.filter((n) => !results.has(n));
    if (rest.length && !current) throw new Error(`the probe stopped before ${rest[0]} (exit ${code}): ${stderr}`);
  }
}

/** What is wrong with a result, or undefined when it is what a correct reader does. */
function verdict(c: Case, r: ProbeResult | undefined): string | undefined {
  if (!r) return 'no result';
  if (r.outcome === 'error') {
    if (!r.message.includes(c.name)) return `the error does not name the file: ${r.message}`;
    if (c.where === 'sheet' && !/sheet "/.test(r.message)) return `the error does not name the sheet: ${r.message}`;
    if (c.where === 'line' && !/line \d+/.test(r.message)) return `the error does not name the line: ${r.message}`;
    if (c.message && !c.message.test(r.message)) return `the error does not say ${c.message}: ${r.message}`;
    return c.expect === 'tables' ? `refused a file with tables in it: ${r.message}` : undefined;
  }
  if (r.outcome !== 'tables') return `${r.outcome}: ${r.message}`;
  if (r.text.includes('root:x:0:0')) return 'a value holds the contents of /etc/passwd';
  if (r.tables.length === 0 && r.skipped.length === 0) return 'silent empty result: no table, and no reason given';
  const empty = r.tables.find((t) => t.rows === 0);
  if (empty) return `table ${empty.key} has no rows`;
  if (c.members !== undefined && r.tables.length + r.skipped.length < c.members) return `${c.members} members, but only ${r.tables.length} tables and ${r.skipped.length} reasons: the rest were dropped without a word`;
  if (c.expect === 'error') return `read without complaint: ${r.tables.length} tables (${r.tables.map((t) => `${t.key}: ${t.rows} rows`).join(', ')})${r.skipped.length ? `, skipped: ${r.skipped.join('; ')}` : ''}`;
  if (c.expect === 'tables' && r.tables.length === 0) return `no table: ${r.skipped.join('; ')}`;
  return undefined;
}

describe('the malformed and hostile corpus', () => {
  beforeAll(() => probeAll(cases.map((c) => c.name)), 10 * 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`has at least 40 files (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    const check = () => expect(verdict(c, results.get(c.name)), `${c.name}: ${c.why}`).toBeUndefined();
    if (c.hole) it.fails(`[waits for issue 14 hole ${c.hole}] ${c.name}: ${c.why}`, check);
    else if (c.finding) it.fails(`[waits for: ${c.finding}] ${c.name}: ${c.why}`, check);
    else it(`${c.name}: ${c.why}`, check);
  }
});
