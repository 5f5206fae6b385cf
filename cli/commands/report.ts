/**
 * `report`: the status page. Writes `output/report.html` (or `--out FILE`, relative to the workspace), one
 * self-contained file that needs no network to view: publications × periods coloured by state, failures
 * with their error and hint, rows per table and period, drift between periods, and one period's stages.
 * Its numbers are `status`'s (the same code). Reads only: never waits for a build.
 */
import { resolve } from 'node:path';
import { publishReport, workspaceReport, type Stage } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { busyNote, withPipeline } from '../workspace.ts';

export async function reportCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  return withPipeline(io, p.global, { write: false, command: 'report', stages }, async ({ pipeline, busy }) => {
    const input = await workspaceReport(pipeline.ws, pipeline.stages, { jobs: p.global.jobs, signal: io.signal, now: io.now });
    const path = resolve(pipeline.ws.paths.root, typeof p.options.out === 'string' ? p.options.out : 'output/report.html');
    const { periods, tables } = await publishReport(path, input);
    if (p.global.json) {
      io.stdout.write(JSON.stringify({ event: 'report', path, ...(busy ? { buildInProgress: busy } : {}), periods, tables, publications: input.status.publications.length }) + '\n');
    } else {
      if (busy) io.stderr.write(`${busyNote(busy, pipeline.ws.embedded)}\n`);
      const said = Object.entries(periods).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(', ');
      io.stdout.write(`Wrote ${path} (${input.status.publications.length} publications; periods: ${said || 'none'}; ${tables} tables)\n`);
    }
    return EXIT.ok;
  });
}
