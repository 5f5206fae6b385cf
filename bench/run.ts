/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own child process, one after the other, so
 * each benchmark's peak RSS is its own and none competes with another for the two cores. Output goes
 * straight through; the exit code is non-zero when any benchmark failed.
 *
 * `npm run bench -- extract` runs only the benchmarks whose file name contains `extract`.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const dir = import.meta.dirname;
const filters = process.argv.slice(2);

function run(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, file)], { stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`bench ${file}: cannot start: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && (!filters.length || filters.some((x) => f.includes(x)))).sort();
if (!files.length) {
  process.stderr.write(`No benchmark in ${dir} matches ${filters.join(', ') || '*.bench.ts'}.\n`);
  process.exit(2);
}
const failed: string[] = [];
for (const file of files) {
  process.stdout.write(`\n== ${file}\n`);
  const started = performance.now();
  const code = await run(file);
  process.stdout.write(`== ${file}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (code !== 0) failed.push(file);
}
if (failed.length) {
  process.stderr.write(`\n${failed.length} benchmark(s) failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
