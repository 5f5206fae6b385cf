/** `explain TARGET`: why each stage of a target would run, or what was checked to call it up to date. */
import { describeReason, type TargetResult } from '../../engine/index.ts';
import { buildPipeline, pipelineRules, selectTargets, STAGES } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { label } from '../report.ts';
import { withWorkspace, type OpenWorkspace } from '../workspace.ts';

export async function explainCommand(io: Io, p: Parsed): Promise<number> {
  if (p.positionals.length !== 1) throw new UsageError('explain takes exactly one target, e.g. `explain adhd/2025-05:draft`');
  return withWorkspace(io, p.global, { lock: false, command: 'explain' }, async (ws) => {
    const targets = selectTargets(p.positionals, ws.config);
    const session = await buildPipeline(ws, { targets, jobs: p.global.jobs, dryRun: true, signal: io.signal });
    const results = session.results().sort((a, b) => order(a.key) - order(b.key) || (a.key < b.key ? -1 : 1));
    const lines: string[] = [];
    for (const r of results) lines.push(...(await explainOne(ws, r)));
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'explain', targets: results }) + '\n');
    else io.stdout.write(lines.join('\n') + '\n');
    return EXIT.ok;
  });
}

/** Stage order for display; parquet and catalog targets come last. */
const order = (key: string) => {
  const i = (STAGES as readonly string[]).indexOf(key.slice(0, key.indexOf(':')));
  return i < 0 ? STAGES.length : i;
};

async function explainOne(ws: OpenWorkspace, r: TargetResult): Promise<string[]> {
  if (r.outcome !== 'up-to-date') {
    const verb = r.outcome === 'would-run' ? 'would run' : r.outcome;
    return [`${label(r.key)}: ${verb} — ${r.reason ? describeReason(r.reason) : r.error?.message ?? ''}`];
  }
  const [rule, id] = [r.key.slice(0, r.key.indexOf(':')), r.key.slice(r.key.indexOf(':') + 1)];
  const record = await pipelineRules(ws).find((x) => x.name === rule)?.readRecord(id);
  const checked = Object.entries(record?.inputs ?? {}).map(([k, d]) => `    input ${k} = ${d.slice(0, 12)} (unchanged)`);
  return [`${label(r.key)}: up to date — rule version ${record?.version}, output ${record?.output.slice(0, 12)} present and unmodified`, ...checked];
}
