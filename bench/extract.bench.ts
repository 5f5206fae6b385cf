/**
 * Extraction benchmark: for the RTT provider workbook (4.6 MB xlsx, 44 MB of sheet XML) and for
 * generated CSVs of 1 and 5 million rows, the time and peak RSS of a full extraction by the sheets
 * library (`describeFile`, then `readTable` over every row of every table: what the draft and load
 * stages do), beside the time of a plain parse of the same file by the underlying reader (SheetJS
 * `XLSX.read`, or papaparse streaming every record) in the same run.
 *
 * Every measurement runs in a fresh child process (this file with `--child`), so each peak RSS is
 * that measurement's own (`process.resourceUsage().maxRSS`). Generated files go to the OS temp
 * folder and are removed at the end. Timings are printed, never asserted; the run fails only when
 * an extraction throws or yields another number of rows than the file has.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { once } from 'node:events';

const RTT = join(import.meta.dirname, '..', 'tests', 'fixtures', 'nhs-samples', 'rtt-waiting-times', 'NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx');

interface Measure {
  rows: number;
  ms: number;
  rssMb: number;
  /** ours only: the describe pass (draft) and the read pass (load), which together make `ms`. */
  describeMs?: number;
  readMs?: number;
}

/** One measurement in this (fresh) process: 'ours' = describe + read every row, 'reader' = the plain parse. */
async function child(mode: string, path: string): Promise<void> {
  const t0 = performance.now();
  let rows = 0;
  let describeMs: number | undefined;
  if (mode === 'ours') {
    const { describeFile, readTable } = await import('../lib/sheets/index.ts');
    const file = { path, name: basename(path) };
    const x = await describeFile(file);
    describeMs = performance.now() - t0;
    for (const t of x.tables) {
      let n = 0;
      for await (const _ of readTable(file, t)) n++;
      if (n !== t.rowCount) throw new Error(`${t.key}: read ${n} rows, described ${t.rowCount}`);
      rows += n;
    }
  } else if (path.endsWith('.csv')) {
    // papaparse's documented Node streaming with a chunk callback (its fastest streaming form).
    const Papa = (await import('papaparse')).default;
    await new Promise<void>((resolve, reject) => {
      Papa.parse<string[]>(createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }) as unknown as File, {
        skipEmptyLines: true,
        chunk: (r) => void (rows += r.data.length),
        complete: () => resolve(),
        error: (e: Error) => reject(e),
      });
    });
    rows -= 1; // the header
  } else {
    const XLSX = await import('@e965/xlsx');
    const wb = XLSX.read(await readFile(path), { type: 'buffer', dense: true, cellNF: true, cellDates: false, cellHTML: false, cellText: false });
    for (const name of wb.SheetNames) rows += ((wb.Sheets[name] as unknown as { '!data'?: unknown[] })['!data'] ?? []).length;
  }
  const ms = performance.now() - t0;
  const out: Measure = { rows, ms, rssMb: process.resourceUsage().maxRSS / 1024, ...(describeMs !== undefined ? { describeMs, readMs: ms - describeMs } : {}) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(mode: 'ours' | 'reader', path: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', mode, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${mode} ${basename(path)} failed (exit ${code})`));
      else resolve(JSON.parse(last) as Measure);
    });
  });
}

/** Writes a CSV shaped like NHS open data (codes, a month, categories, counts, a decimal, `*` suppression). */
async function generateCsv(path: string, rows: number): Promise<void> {
  const ws = createWriteStream(path, { highWaterMark: 1024 * 1024 });
  const modes = ['Face-to-Face', 'Telephone', 'Home Visit', 'Video/Online', 'Unknown'];
  let buf = 'SUB_ICB_LOCATION_CODE,PRACTICE_CODE,APPOINTMENT_MONTH,APPT_MODE,HCP_TYPE,COUNT_OF_APPOINTMENTS,RATE\r\n';
  for (let i = 0; i < rows; i++) {
    const count = i % 97 === 0 ? '*' : String((i * 7919) % 5000);
    buf += `${'0' + String(10 + (i % 90))}A,P${String(i % 99991).padStart(5, '0')},${['JAN2024', 'FEB2024', 'MAR2024'][i % 3]},${modes[i % 5]},${i % 2 ? 'GP' : 'Other Practice staff'},${count},${((i % 1000) / 7).toFixed(3)}\r\n`;
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
    }
  }
  ws.end(buf);
  await once(ws, 'finish');
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nhs-bench-extract-'));
  try {
    const cases: { label: string; path: string; expectRows?: number }[] = [{ label: 'RTT NonAdmitted-Provider-Sep25 (xlsx)', path: RTT }];
    for (const n of [1_000_000, 5_000_000]) {
      const path = join(dir, `generated-${n}.csv`);
      process.stdout.write(`generating ${fmt(n, 0)}-row CSV in ${dir} …\n`);
      await generateCsv(path, n);
      cases.push({ label: `generated CSV, ${fmt(n / 1e6, 0)}M rows`, path, expectRows: n });
    }
    const header = ['file', 'rows', 'ours (s)', 'describe (s)', 'read (s)', 'reader only (s)', 'ratio', 'describe ratio', 'read ratio', 'our peak RSS (MB)', 'reader peak RSS (MB)'];
    const lines: string[][] = [];
    let bad = false;
    for (const c of cases) {
      const ours = await measure('ours', c.path);
      const reader = await measure('reader', c.path);
      if (c.expectRows !== undefined && ours.rows !== c.expectRows) {
        process.stderr.write(`${c.label}: extracted ${ours.rows} rows, expected ${c.expectRows}\n`);
        bad = true;
      }
      const s = (ms: number) => fmt(ms / 1000, 2);
      const d = ours.describeMs!;
      const r = ours.readMs!;
      lines.push([c.label, fmt(ours.rows, 0), s(ours.ms), s(d), s(r), s(reader.ms), fmt(ours.ms / reader.ms, 2), fmt(d / reader.ms, 2), fmt(r / reader.ms, 2), fmt(ours.rssMb, 0), fmt(reader.rssMb, 0)]);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const row = (cells: string[]) => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
    process.stdout.write(`\n${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(row).join('\n')}\n`);
    process.stdout.write(
      '\nours = describe (describeFile: layout and types from every value, the draft stage) + read (readTable over every row, what the load stage reads);\n' +
        'reader only = one plain parse of the same file by SheetJS (XLSX.read) or papaparse (streaming, chunk callback). A CSV is parsed once per pass,\n' +
        'so its ratios are per pass (describe, read); a workbook is parsed once and cached for the read, so its ratio is the total.\n' +
        'For the CSVs, flat peak RSS from 1M to 5M rows means memory does not grow with row count.\n',
    );
    if (bad) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
