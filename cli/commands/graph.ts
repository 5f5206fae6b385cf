/**
 * `graph [TARGET...]`: the DAG of what a build of the targets (default: everything) would visit, as Graphviz DOT
 * (`| dot -Tsvg > dag.svg`) or, with `--mermaid`, a Mermaid flowchart (GitHub renders it in Markdown). Nothing runs.
 */
import { selectTargets, targetGraph, type TargetGraph } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';

export async function graphCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  return withPipeline(io, p.global, { write: false, command: 'graph', stages }, async ({ pipeline }) => {
    const targets = selectTargets(p.positionals, pipeline.ws.rawConfig, pipeline.stages);
    const graph = await targetGraph(pipeline.ws, pipeline.stages, targets);
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'graph', nodes: graph.nodes, edges: graph.edges }) + '\n');
    else io.stdout.write(p.options.mermaid ? mermaid(graph) : dot(graph));
    return EXIT.ok;
  });
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function dot(g: TargetGraph): string {
  const lines = ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const n of g.nodes) lines.push(`  ${quote(n)};`);
  for (const [a, b] of g.edges) lines.push(`  ${quote(a)} -> ${quote(b)};`);
  return [...lines, '}', ''].join('\n');
}

export function mermaid(g: TargetGraph): string {
  const id = new Map(g.nodes.map((n, i) => [n, `n${i}`]));
  // Mermaid labels: quotes become #quot; so that no name can end the label early.
  const lines = ['flowchart LR', ...g.nodes.map((n) => `  ${id.get(n)}["${n.replace(/"/g, '#quot;')}"]`)];
  for (const [a, b] of g.edges) lines.push(`  ${id.get(a)} --> ${id.get(b)}`);
  return lines.join('\n') + '\n';
}
