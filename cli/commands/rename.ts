/**
 * `rename [PUB...]`: list the names today's naming rules would give loaded tables and columns (the default,
 * `--plan`), or with `--execute` rename them in the database, the manifests and the Parquet files in one go.
 */
import { rm } from 'node:fs/promises';
import { executeRename, planRename, selectTargets, type Stage, type TableRename } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';
import { reportedBuild } from './build.ts';

export async function renameCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const execute = Boolean(p.options.execute);
  if (execute && p.options.plan) throw new UsageError('--plan and --execute exclude each other', '--plan (the default) lists the renames; --execute applies them');
  return withPipeline(io, p.global, { write: execute, command: 'rename', stages }, async ({ pipeline }) => {
    const { ws } = pipeline;
    for (const code of p.positionals) {
      if (!ws.rawConfig.publications.some((x) => x.code === code)) throw new UsageError(`unknown publication "${code}"`, `publications: ${ws.rawConfig.publications.map((x) => x.code).join(', ')}`);
    }
    if (!execute) {
      const plan = await planRename(ws, p.positionals);
      if (p.global.json) io.stdout.write(JSON.stringify({ event: 'rename-plan', renames: plan }) + '\n');
      else io.stdout.write(render(plan, io, p, false));
      return EXIT.ok;
    }
    const done = await executeRename(ws, p.positionals);
    if (!p.global.json) io.stdout.write(render(done, io, p, true));
    const codes = [...new Set(done.map((r) => r.publication))];
    if (!codes.length) {
      if (p.global.json) io.stdout.write(JSON.stringify({ event: 'rename', renames: [] }) + '\n');
      return EXIT.ok;
    }
    const { code } = await reportedBuild(io, pipeline, selectTargets(codes, ws.rawConfig, pipeline.stages), { global: p.global });
    if (code === EXIT.ok) {
      const { parquetPaths } = await import('../../rules/stages/parquet.ts');
      for (const r of done.filter((x) => x.to !== x.from)) {
        const old = parquetPaths(ws, r.from);
        await rm(old.parquet, { force: true });
        await rm(old.markdown, { force: true });
      }
    }
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'rename', renames: done }) + '\n');
    return code;
  });
}

function render(renames: TableRename[], io: Io, p: Parsed, executed: boolean): string {
  const c = styler(io.stdout, io.env);
  if (!renames.length) return executed ? 'Nothing to rename.\n' : 'Every table and column has the name today\'s rules give it.\n';
  const lines: string[] = [];
  for (const code of [...new Set(renames.map((r) => r.publication))]) {
    const mine = renames.filter((r) => r.publication === code);
    lines.push(`${c.bold(code)}: ${mine.length} table${mine.length === 1 ? '' : 's'} ${executed ? 'renamed' : 'to rename'}`);
    for (const r of mine) {
      const span = r.periods.length > 1 ? `${r.periods[0]} to ${r.periods[r.periods.length - 1]}` : r.periods[0];
      lines.push(`  ${r.from}${r.to !== r.from ? ` → ${r.to}` : ''}  (${span})${r.blocked ? `  ${c.yellow(`blocked: ${r.blocked}`)}` : ''}`);
      for (const col of r.columns) lines.push(`    column ${col.from} → ${col.to}`);
    }
  }
  if (!executed && renames.some((r) => !r.blocked)) {
    const dir = p.global.dir === io.cwd ? '' : ` -C ${p.global.dir}`;
    lines.push('', `Apply with: npx tsx pipeline.ts rename${dir}${p.positionals.length ? ` ${p.positionals.join(' ')}` : ''} --execute`);
    lines.push('(tables and columns are renamed in place in the database: no row is copied, reloaded or dropped)');
  }
  return `${lines.join('\n')}\n`;
}
