/**
 * Extraction benchmark: for the RTT provider workbook (4.6 MB xlsx, 44 MB of sheet XML) and for
 * generated CSVs of 1 and 5 million rows, the time of each pass of a full extraction by the sheets
 * library — describe (`describeFile`: layout and column types from every value, what the draft
 * stage does) and read (`readTable` over every row of every table, what the load stage does) —
 * beside the time of one plain parse of the same file by the underlying reader (SheetJS `XLSX.read`,
 * or papaparse streaming every record) in the same run, and the peak RSS of each. Times are reported
 * twice: wall clock, and CPU time of the process (user + system), which other work on a shared machine
 * disturbs far less.
 *
 * Every measurement runs in a fresh child process (this file with `--child`), so each peak RSS is
 * that measurement's own (`process.resourceUsage().maxRSS`). Each case is measured `--runs` times
 * (default 5: on these 2-core machines V8's parallel garbage collector makes single runs of either side
 * bimodal, e.g. 0.72 or 1.13 s for the same describe), ours and the reader alternating so that a burst of load from other work on the
 * machine hits both, and the median is reported: one slow run does not decide the verdict. The load
 * average is printed at the start for the same reason.
 *
 *   npx tsx bench/extract.bench.ts [--runs N] [--lib DIR] [--only xlsx|csv] [--rows 1000000,5000000]
 *
 * `--lib DIR` measures another copy of the sheets library (a folder holding `index.ts`, e.g. a copy
 * of `lib/sheets` from before a change, with `node_modules` reachable from it) for before/after tables
 * taken in the same machine state.
 *
 * Generated files go to the OS temp folder and are removed at the end. Timings are printed, never
 * asserted; the run fails only when an extraction throws or yields another number of rows than the
 * file has.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { once } from 'node:events';

const RTT = join(import.meta.dirname, '..', 'tests', 'fixtures', 'nhs-samples', 'rtt-waiting-times', 'NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx');
const DEFAULT_LIB = join(import.meta.dirname, '..', 'lib', 'sheets');

/** What one child process reports. */
interface Measure {
  rows: number;
  /** Whole measurement (ours: describe + read), wall clock. */
  ms: number;
  /** The same in CPU time of the process (user + system, all its threads). */
  cpuMs: number;
  rssMb: number;
  /** Ours only: the describe pass and the read pass, which together make `ms` / `cpuMs`. */
  describeMs?: number;
  describeCpuMs?: number;
}

/** One measurement in this (fresh) process: 'ours' = describe, then read every row; 'reader' = the plain parse. */
async function child(mode: string, path: string, lib: string): Promise<void> {
  let rows = 0;
  let describeMs: number | undefined;
  let describeCpuMs: number | undefined;
  let t0: number;
  let c0: number;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  if (mode === 'ours') {
    const { describeFile, readTable } = (await import(pathToFileURL(join(lib, 'index.ts')).href)) as typeof import('../lib/sheets/index.ts');
    const file = { path, name: basename(path) };
    t0 = performance.now();
    c0 = cpu();
    const x = await describeFile(file);
    describeMs = performance.now() - t0;
    describeCpuMs = cpu() - c0;
    for (const t of x.tables) {
      let n = 0;
      for await (const _ of readTable(file, t)) n++;
      if (n !== t.rowCount) throw new Error(`${t.key}: read ${n} rows, described ${t.rowCount}`);
      rows += n;
    }
  } else if (path.endsWith('.csv')) {
    // papaparse's documented Node streaming with a chunk callback (its fastest streaming form), over a
    // read stream with Node's default 64 KiB chunks: measured here, papaparse takes 1.6× as long with
    // 256 KiB chunks and 3.7× with 1 MiB (V8 keeps strings over 128 KiB in its slower large-object space).
    const Papa = (await import('papaparse')).default;
    t0 = performance.now();
    c0 = cpu();
    await new Promise<void>((resolve, reject) => {
      Papa.parse<string[]>(createReadStream(path, { encoding: 'utf8' }) as unknown as File, {
        skipEmptyLines: true,
        chunk: (r) => void (rows += r.data.length),
        complete: () => resolve(),
        error: (e: Error) => reject(e),
      });
    });
    rows -= 1; // the header
  } else {
    const XLSX = await import('@e965/xlsx');
    t0 = performance.now();
    c0 = cpu();
    // The same options the library parses with (grid.ts), so the difference is our own work.
    const wb = XLSX.read(await readFile(path), { type: 'buffer', dense: true, cellNF: true, cellDates: false, cellHTML: false, cellText: false, cellFormula: false, cellStyles: false });
    for (const name of wb.SheetNames) rows += ((wb.Sheets[name] as unknown as { '!data'?: unknown[] })['!data'] ?? []).length;
  }
  const ms = performance.now() - t0;
  const cpuMs = cpu() - c0;
  const out: Measure = { rows, ms, cpuMs, rssMb: process.resourceUsage().maxRSS / 1024, ...(describeMs !== undefined ? { describeMs, describeCpuMs } : {}) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(mode: 'ours' | 'reader', path: string, lib: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', mode, path, lib], { stdio: ['ignore', 'pipe', 'inherit'] });
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
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return `${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(row).join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '5' }, lib: { type: 'string' }, only: { type: 'string' }, rows: { type: 'string', default: '1000000,5000000' } } });
  const runs = Math.max(1, Number(opts.runs));
  const lib = opts.lib ? resolve(opts.lib) : DEFAULT_LIB;
  process.stdout.write(`load average at start: ${load()} (1, 5, 15 min) on ${cpus().length} CPUs; node ${process.version}; ${runs} run(s) per case, medians reported; library ${lib}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'nhs-bench-extract-'));
  try {
    const cases: { label: string; path: string; expectRows?: number }[] = [];
    if (opts.only !== 'csv') cases.push({ label: 'RTT NonAdmitted-Provider-Sep25 (xlsx)', path: RTT });
    if (opts.only !== 'xlsx') {
      for (const n of opts.rows.split(',').map(Number)) {
        const path = join(dir, `generated-${n}.csv`);
        process.stdout.write(`generating ${fmt(n, 0)}-row CSV in ${dir} …\n`);
        await generateCsv(path, n);
        cases.push({ label: `generated CSV, ${fmt(n / 1e6, n % 1e6 ? 1 : 0)}M rows`, path, expectRows: n });
      }
    }
    const timeHeader = (unit: string) => ['file', 'rows', `describe ${unit}`, `read ${unit}`, `ours ${unit}`, `reader ${unit}`, 'describe ×', 'read ×', 'total ×'];
    const wall: string[][] = [];
    const cpuTimes: string[][] = [];
    const memory: string[][] = [];
    let bad = false;
    let reparsed = 0;
    for (const c of cases) {
      const ours: Measure[] = [];
      const reader: Measure[] = [];
      for (let i = 0; i < runs; i++) {
        ours.push(await measure('ours', c.path, lib));
        reader.push(await measure('reader', c.path, lib));
        const o = ours[i];
        const r = reader[i];
        // A workbook's read pass reuses the parse from the describe pass through a weakly held cache; when a
        // garbage collection cleared it in between, the read parsed the file again.
        const again = c.path.endsWith('.xlsx') && o.ms - o.describeMs! > 0.5 * r.ms;
        if (again) reparsed++;
        process.stdout.write(
          `  ${c.label} run ${i + 1}: describe ${fmt(o.describeMs! / 1000, 2)} s (cpu ${fmt(o.describeCpuMs! / 1000, 2)}), read ${fmt((o.ms - o.describeMs!) / 1000, 2)} s (cpu ${fmt((o.cpuMs - o.describeCpuMs!) / 1000, 2)})${again ? ' [workbook parsed again]' : ''}, ` +
            `reader ${fmt(r.ms / 1000, 2)} s (cpu ${fmt(r.cpuMs / 1000, 2)}); peak RSS ${fmt(o.rssMb, 0)} / ${fmt(r.rssMb, 0)} MB (load ${load()})\n`,
        );
      }
      if (c.expectRows !== undefined && ours.some((o) => o.rows !== c.expectRows)) {
        process.stderr.write(`${c.label}: extracted ${ours.map((o) => o.rows).join(', ')} rows, expected ${c.expectRows}\n`);
        bad = true;
      }
      const s = (ms: number) => fmt(ms / 1000, 2);
      const line = (describe: number[], total: number[], plain: number[]): string[] => {
        const d = median(describe);
        const r = median(total.map((t, i) => t - describe[i]));
        const t = median(total);
        const p = median(plain);
        return [c.label, fmt(ours[0].rows, 0), s(d), s(r), s(t), s(p), fmt(d / p, 2), fmt(r / p, 2), fmt(t / p, 2)];
      };
      wall.push(line(ours.map((o) => o.describeMs!), ours.map((o) => o.ms), reader.map((r) => r.ms)));
      cpuTimes.push(line(ours.map((o) => o.describeCpuMs!), ours.map((o) => o.cpuMs), reader.map((r) => r.cpuMs)));
      memory.push([c.label, fmt(ours[0].rows, 0), fmt(median(ours.map((o) => o.rssMb)), 0), fmt(median(reader.map((o) => o.rssMb)), 0)]);
    }
    process.stdout.write(`\nWall-clock time, median of ${runs} run(s):\n${table(timeHeader('s'), wall)}`);
    process.stdout.write(`\nCPU time of the process (user + system), median of ${runs} run(s):\n${table(timeHeader('cpu s'), cpuTimes)}`);
    process.stdout.write(`\nPeak RSS, median of ${runs} run(s):\n${table(['file', 'rows', 'ours MB', 'reader MB'], memory)}`);
    process.stdout.write(
      '\ndescribe = describeFile (finds the tables, infers every column type from every value: the draft stage);\n' +
        'read     = readTable over every row of every table (what the load stage reads); ours = describe + read, one process;\n' +
        "reader   = one plain parse of the same file by the underlying reader in its own process: SheetJS XLSX.read with the\n" +
        "           library's options, or papaparse streaming the file (chunk callback, records counted, nothing else);\n" +
        'describe × / read × / total × = describe, read, ours divided by reader. Each cell is the median of its own runs, so\n' +
        'describe + read need not add up to ours exactly.\n' +
        'A CSV is parsed once per pass, so its per-pass ratios compare like with like (target: under 1.5 each). A workbook is\n' +
        'parsed once, in the describe pass, and cached for the read pass: its total × is the one that counts.\n' +
        'On a busy machine the wall-clock times depend on what else runs; the CPU times, which count only this process,\n' +
        'are the steadier basis for the ratios.\n' +
        'Peak RSS = the largest resident set of that process; for the CSVs it should stay flat from 1M to 5M rows.\n' +
        (reparsed ? `${reparsed} workbook run(s) parsed the workbook again in the read pass (its weakly held cache was collected).\n` : '') +
        `load average at end: ${load()}\n`,
    );
    if (bad) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await main();
