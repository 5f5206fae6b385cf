/**
 * `restore PUB/PERIOD...`: bring archived periods back (every object checked by its SHA-256), reload the database
 * where it no longer holds them, then build their publications so they are `built` again, with no download from the
 * NHS site.
 */
import { credentialsFrom, restoreWorkspace, selectArchivePeriods, selectTargets, type Restored, type Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';
import { reportedBuild } from './build.ts';
import { formatBytes } from './clean.ts';

export async function restoreCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  if (!p.positionals.length || p.positionals.some((a) => !a.includes('/'))) {
    throw new UsageError('restore takes one or more PUB/PERIOD', 'e.g. `restore adhd/2025-05`; `status` lists archived periods');
  }
  const credentials = await credentialsFrom(io.env);
  return withPipeline(io, p.global, { write: true, command: 'restore', stages }, async ({ pipeline }) => {
    const ids = await selectArchivePeriods(pipeline.ws.rawConfig, p.positionals);
    const restored = await restoreWorkspace(pipeline.ws, pipeline.stages, { ids, credentials, signal: io.signal });
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'restore', restored }) + '\n');
    else io.stdout.write(render(restored, io));
    const codes = [...new Set(ids.map((id) => id.split('/')[0]!))];
    const targets = selectTargets(codes, pipeline.ws.rawConfig, pipeline.stages);
    const { code } = await reportedBuild(io, pipeline, targets, { global: p.global });
    return code === EXIT.ok ? EXIT.ok : code;
  });
}

function render(restored: Restored[], io: Io): string {
  const c = styler(io.stdout, io.env);
  const out: string[] = [];
  for (const r of restored) {
    const db = r.reloaded ? `${r.rows.toLocaleString('en-GB')} rows reloaded into the database` : 'the database already held it';
    const m = r.manifests.restored.length ? `; manifests restored: ${r.manifests.restored.join(', ')}` : '';
    const s = r.sources ? `; ${r.sources} source file${r.sources === 1 ? '' : 's'} back in downloads/` : '';
    out.push(`${c.green('restored')} ${r.id}: ${r.objects} objects (${formatBytes(r.bytes)}), every SHA-256 checked; ${db}${m}${s}`);
  }
  return `${out.join('\n')}\n`;
}
