/**
 * `archive [PUB | PUB/PERIOD ...]`: upload built periods to the configured object storage (manifests, a Parquet
 * slice of each table, and with `--sources` the downloaded files), snapshot the catalog, then apply `retention:`;
 * when retention removed periods locally, build their publications so the Parquet files and the catalog drop them.
 */
import { archiveWorkspace, credentialsFrom, selectTargets, type ArchiveReport, type Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';
import { reportedBuild } from './build.ts';
import { formatBytes } from './clean.ts';

export async function archiveCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const olderThanDays = parseDays(p.options['older-than']);
  const credentials = await credentialsFrom(io.env);
  return withPipeline(io, p.global, { write: true, command: 'archive', stages }, async ({ pipeline }) => {
    const report = await archiveWorkspace(pipeline.ws, pipeline.stages, {
      args: p.positionals, olderThanDays, sources: Boolean(p.options.sources), credentials, jobs: p.global.jobs, signal: io.signal,
    });
    if (p.global.json) io.stdout.write(JSON.stringify({ event: 'archive', ...report }) + '\n');
    else io.stdout.write(render(report, io));
    let code: number = EXIT.ok;
    const removed = report.retention?.removed ?? [];
    if (removed.length) {
      // The tables' Parquet files and the catalog still hold the removed periods' rows: rewrite them now.
      const codes = [...new Set(removed.map((r) => r.id.split('/')[0]!))];
      ({ code } = await reportedBuild(io, pipeline, selectTargets(codes, pipeline.ws.rawConfig, pipeline.stages), { global: p.global }));
    }
    if (p.global.json) {
      const count = (o: string) => report.periods.filter((x) => x.outcome === o).length;
      io.stdout.write(JSON.stringify({
        event: 'summary', command: 'archive', archived: count('archived'), upToDate: count('up-to-date'), notBuilt: report.notBuilt.length,
        uploaded: report.periods.reduce((n, x) => n + x.uploaded, 0) + report.catalog.length, removed: removed.length,
      }) + '\n');
    }
    return code;
  });
}

function parseDays(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)d$/.exec(String(v).trim());
  if (!m) throw new UsageError(`--older-than expects a number of days such as 90d, got "${v}"`, 'a period is older than 90d when it ended more than 90 days ago');
  return Number(m[1]);
}

function render(r: ArchiveReport, io: Io): string {
  const c = styler(io.stdout, io.env);
  const out = [`archive → ${r.remote}`];
  for (const x of r.periods) {
    out.push(x.outcome === 'archived'
      ? `  ${c.green('archived')}  ${x.id}: ${x.objects} objects (${formatBytes(x.bytes)}), ${x.uploaded} uploaded`
      : `  ${c.dim('up to date')} ${x.id}: the archive holds its current rows`);
  }
  for (const id of r.archived) out.push(`  ${c.dim('archived')}  ${id}: rows in the archive only (restore ${id} brings them back)`);
  for (const x of r.notBuilt) out.push(`  ${c.yellow('not built')} ${x.id}: ${x.why}; build it first`);
  out.push(r.catalog.length ? `  catalog: ${r.catalog.join(', ')} uploaded` : '  catalog: snapshot of today already there (or no catalog yet)');
  const ret = r.retention;
  if (ret) {
    if (!ret.removed.length) out.push('retention: nothing to remove locally');
    for (const x of ret.removed) out.push(`retention: removed ${x.id} locally (${x.rows.toLocaleString('en-GB')} rows, ${x.files} downloaded file${x.files === 1 ? '' : 's'}); its manifests stay, its rows are in the archive`);
    for (const t of ret.tables) out.push(`retention: ${t} has no local period left: its Parquet and metadata files were removed`);
  }
  const n = r.periods.filter((x) => x.outcome === 'archived').length;
  out.push('', n ? `Archived ${n} period${n === 1 ? '' : 's'}.` : 'Nothing new to archive.');
  return `${out.join('\n')}\n`;
}
