/**
 * Reads each corpus file as the pipeline does (describe, then every row of every table) and prints one JSON
 * line per file: `{ "start": name }` before, then what happened. It runs in its own process, so that a file
 * that hangs or exhausts memory is seen for what it is by the test (tests/corpus/corpus.test.ts), which
 * restarts it after the file that killed it.
 *
 *   npx tsx tests/corpus/probe.ts DIR NAME...
 */
import { join } from 'node:path';
import { describeFile, readTable, SheetError } from '../../lib/sheets/index.ts';
import { PipelineError } from '../../lib/failure.ts';

export type ProbeResult =
  | { name: string; outcome: 'tables'; tables: { key: string; sheet?: string; rows: number; columns: string[] }[]; skipped: string[]; text: string }
  | { name: string; outcome: 'error'; kind: string; message: string; sheetError: boolean }
  | { name: string; outcome: 'crash'; message: string }
  | { name: string; outcome: 'hang' | 'died'; message: string };

async function probe(dir: string, name: string): Promise<ProbeResult> {
  const file = { path: join(dir, name), name };
  try {
    const x = await describeFile(file);
    const tables = [];
    // Every value read, to look for what must never appear (the contents of /etc/passwd, an entity expansion).
    let text = '';
    for (const t of x.tables) {
      let rows = 0;
      for await (const r of readTable(file, t)) {
        rows++;
        if (text.length < 200_000) text += `${JSON.stringify(r)}\n`;
      }
      tables.push({ key: t.key, ...(t.sheet !== undefined ? { sheet: t.sheet } : {}), rows, columns: t.columns.map((c) => c.name) });
    }
    return { name, outcome: 'tables', tables, skipped: x.skipped.map((s) => `${s.sheet ?? s.member ?? ''}: ${s.reason}`), text };
  } catch (err) {
    if (err instanceof PipelineError) return { name, outcome: 'error', kind: err.failure.kind, message: err.message, sheetError: err instanceof SheetError };
    return { name, outcome: 'crash', message: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err) };
  }
}

const [dir, ...names] = process.argv.slice(2);
for (const name of names) {
  process.stdout.write(`${JSON.stringify({ start: name })}\n`);
  process.stdout.write(`${JSON.stringify(await probe(dir!, name))}\n`);
}
