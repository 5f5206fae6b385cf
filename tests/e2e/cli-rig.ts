/** Runs the CLI in-process, as a user would from a shell, and collects what it prints. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import Papa from 'papaparse';
import { main } from '../../cli/main.ts';
import type { WebDeps } from '../../lib/web/index.ts';
import type { Stage } from '../../rules/index.ts';

export interface CliRun { code: number; stdout: string; stderr: string; events: Record<string, unknown>[] }

/** `web`: the network's side effects and time limits (a recording sleep, short timeouts), as `pipeline.ts` never passes. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, signal?: AbortSignal, stages?: readonly Stage[], web?: WebDeps): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { CI: 'true', NHS_PIPELINE_CHECK_READS: '1', ...env },
    cwd: process.cwd(),
    now: () => new Date(),
    signal: signal ?? new AbortController().signal,
    ...(web ? { web } : {}),
  }, stages);
  const events = args.includes('--json') ? stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  return { code, stdout, stderr, events };
}

/** Targets that ran in a `--json` build. */
export function ran(run: CliRun): string[] {
  return run.events.filter((e) => e.event === 'target-end' && e.outcome === 'ran').map((e) => String(e.key)).sort();
}

export function summary(run: CliRun): Record<string, number> {
  return run.events.find((e) => e.event === 'summary') as Record<string, number>;
}

/** Data rows in a CSV, counted independently of the pipeline (papaparse, header row excluded, blank lines skipped). */
export async function csvDataRows(path: string, encoding: BufferEncoding = 'utf8'): Promise<{ rows: number; header: string[] }> {
  const text = (await readFile(path)).toString(encoding === 'utf8' ? 'utf8' : 'latin1');
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true });
  return { rows: parsed.data.length - 1, header: parsed.data[0] };
}

/** Reads a Parquet file with hyparquet (a reader other than the DuckDB writer). */
export async function readParquet(path: string, columns?: string[]) {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const names = metadata.schema.slice(1).map((s) => s.name);
  // Node 20 has no zstd: hyparquet decompresses the pages with fzstd (pure JS).
  const compressors = { ZSTD: (input: Uint8Array, length: number) => decompress(input, new Uint8Array(length)) };
  const rows = columns ? await parquetReadObjects({ file, columns, compressors }) : [];
  const kv = Object.fromEntries((metadata.key_value_metadata ?? []).map((x) => [x.key, x.value]));
  return { numRows: Number(metadata.num_rows), columns: names, rows, kv };
}

/** The CLI as a real child process (`node --import tsx pipeline.ts`), for signals, locks and watch. */
export interface CliProcess {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  /** Waits until `re` matches what `what` returns (e.g. `p.stdout`), failing with both streams after 90 s. */
  until: (re: RegExp, what: () => string) => Promise<void>;
  kill: (sig: NodeJS.Signals) => void;
}

export function startCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const root = join(import.meta.dirname, '../..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'pipeline.ts'), ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true', NHS_PIPELINE_CHECK_READS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = new Promise<number>((r) => child.on('close', (c, sig) => r(c ?? (sig === 'SIGINT' ? 130 : -1))));
  const until = async (re: RegExp, what: () => string) => {
    const end = Date.now() + 90_000;
    while (!re.test(what())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { code, stdout: () => out, stderr: () => err, until, kill: (sig) => child.kill(sig) };
}

/** A fresh workspace whose config has OAPs October and December 2016, reached as local files. */
export async function oapsWorkspace(prefix: string): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(ws, 'config'));
  const oaps = (f: string) => join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements', f);
  await writeFile(
    join(ws, 'config/publications.yaml'),
    ['publications:', '  oaps:', '    name: OAPs', '    periods:',
      `      - period: 2016-10\n        url: "${oaps('oaps-open-data-oct-2016.csv')}"`,
      `      - period: 2016-12\n        url: "${oaps('oaps-open-data-dec-2016.csv')}"`].join('\n') + '\n',
  );
  return ws;
}

/** Runs one query on a workspace's database (its PGlite, or the server `databaseUrl` names), opened and closed around it. */
export async function queryWorkspace<T extends Record<string, unknown>>(ws: string, databaseUrl: string | undefined, sql: string): Promise<T[]> {
  const { openDb } = await import('../../lib/db/index.ts');
  const d = await openDb({ workspace: ws, databaseUrl });
  try {
    return await d.query<T>(sql);
  } finally {
    await d.close();
  }
}
