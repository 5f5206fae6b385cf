/** `explain TARGET`: why each stage of a target would run, or what was checked to call it up to date. */
import { describeReason } from '../../engine/index.ts';
import { archivedAway, explainTargets, selectTargets, type Explained } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { label } from '../report.ts';
import { busyNote, withPipeline } from '../workspace.ts';

export async function explainCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  if (p.positionals.length !== 1) throw new UsageError('explain takes exactly one target, e.g. `explain adhd/2025-05:draft`');
  return withPipeline(io, p.global, { write: false, command: 'explain', stages }, async ({ pipeline, busy }) => {
    const targets = selectTargets(p.positionals, pipeline.ws.rawConfig, pipeline.stages);
    const results = await explainTargets(pipeline.ws, pipeline.stages, targets, { jobs: p.global.jobs, signal: io.signal });
    if (p.global.json) {
      // The reason as the text says it, beside its fields (as build --json gives it).
      const targets = results.map((r) => (r.reason ? { ...r, reasonText: describeReason(r.reason) } : r));
      io.stdout.write(JSON.stringify({ event: 'explain', ...(busy ? { buildInProgress: busy } : {}), targets }) + '\n');
      return EXIT.ok;
    }
    if (busy) io.stderr.write(`${busyNote(busy, pipeline.ws.embedded)}\n`);
    const away = await archivedAway(pipeline.ws, [...new Set(targets.map((t) => `${t.publication}/${t.period}`))]);
    const archived = [...away].map(([id, r]) => `${id}: archived — its rows are in ${r.remote} only since ${r.removed!.at}; a build leaves it alone; \`restore ${id}\` brings it back`);
    io.stdout.write([...archived, ...results.flatMap(explainOne)].join('\n') + '\n');
    return EXIT.ok;
  });
}

function explainOne(r: Explained): string[] {
  if (r.outcome !== 'up-to-date') {
    const verb = r.outcome === 'would-run' ? 'would run' : r.outcome;
    return [`${label(r.key)}: ${verb} — ${r.reason ? describeReason(r.reason) : r.error?.message ?? ''}`];
  }
  const checked = Object.entries(r.record?.inputs ?? {}).map(([k, d]) => `    input ${k} = ${d.slice(0, 12)} (unchanged)`);
  return [`${label(r.key)}: up to date — rule version ${r.record?.version}, output ${r.record?.output.slice(0, 12)} present and unmodified`, ...checked];
}
