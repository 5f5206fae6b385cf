/**
 * `ls [TARGET...]`: every configured period (or those the targets and patterns select), one a line, with its
 * state as `status` derives it (built, stale, pending, failed, archived) and the last stage built. `--json`: one
 * `{"event":"target",...}` line each. Nothing runs: the state comes from a plan of everything.
 */
import { selectTargets, workspaceStatus, type PeriodStatus } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { busyNote, withPipeline } from '../workspace.ts';

export async function lsCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  return withPipeline(io, p.global, { write: false, command: 'ls', stages }, async ({ pipeline, busy }) => {
    const wanted = new Set(selectTargets(p.positionals, pipeline.ws.rawConfig, pipeline.stages).map((t) => `${t.publication}/${t.period}`));
    const status = await workspaceStatus(pipeline.ws, pipeline.stages, { jobs: p.global.jobs, signal: io.signal });
    const rows = status.publications.flatMap((pub) =>
      pub.periods.map((x) => ({ target: `${pub.publication}/${x.period}`, publication: pub.publication, ...x })).filter((x) => wanted.has(x.target)),
    );
    if (busy && !p.global.json) io.stderr.write(`${busyNote(busy, pipeline.ws.embedded)}\n`);
    if (p.global.json) {
      for (const r of rows) io.stdout.write(JSON.stringify({ event: 'target', target: r.target, publication: r.publication, period: r.period, state: r.state, builtThrough: r.builtThrough, ...(r.stale ? { stale: r.stale } : {}), ...(r.failure ? { failure: r.failure } : {}) }) + '\n');
      return EXIT.ok;
    }
    const c = styler(io.stdout, io.env);
    const colour: Record<PeriodStatus['state'], (s: string) => string> = { built: c.green, stale: c.yellow, pending: c.dim, failed: c.red, archived: c.dim };
    const width = Math.max(6, ...rows.map((r) => r.target.length));
    for (const r of rows) {
      const through = r.builtThrough ? `through ${r.builtThrough}` : 'nothing built';
      const why = r.failure ? ` — ${r.failure.error}` : r.stale && r.state === 'stale' ? ` — ${r.stale.reason}` : '';
      io.stdout.write(`${r.target.padEnd(width)}  ${colour[r.state](r.state.padEnd(8))}  ${through}${why}\n`);
    }
    return EXIT.ok;
  });
}
