/**
 * The archive, as the command line sees it: `archive` (upload what is built, then apply local retention) and
 * `restore` (bring periods back). The remote is opened from the config's `archive:` with the caller's credentials.
 */
import type { ArchiveSettings, PipelineConfig } from '../../lib/config/types.ts';
import { PipelineError } from '../../lib/failure.ts';
import type { Credentials, Remote } from '../../lib/remote/s3.ts';
import { describeReason } from '../../engine/index.ts';
import { buildPipeline } from '../build.ts';
import type { Stage } from '../stage.ts';
import type { Workspace } from '../workspace.ts';
import { archivedAway } from './record.ts';
import { applyRetention, type RetentionResult } from './retention.ts';
import { restorePeriod, type Restored } from './restore.ts';
import { archivePeriod, olderThan, snapshotCatalog, type PeriodArchived } from './upload.ts';

export type { Restored, RetentionResult, PeriodArchived };

export interface ArchiveReport {
  remote: string;
  periods: PeriodArchived[];
  /** Selected periods not archived because they are not built (stale, pending or failed): build them first. */
  notBuilt: { id: string; why: string }[];
  /** Selected periods whose rows are in the archive alone already. */
  archived: string[];
  catalog: string[];
  retention?: RetentionResult;
}

/** `PUB` or `PUB/PERIOD` arguments as `pub/period` ids (none: every configured period); a usage error names a wrong one. */
export function selectPeriods(config: PipelineConfig, args: string[]): string[] {
  const all = config.publications.flatMap((p) => p.periods.map((e) => `${p.code}/${e.period.label}`));
  if (!args.length) return all;
  const out = new Set<string>();
  for (const arg of args) {
    const [code, period] = arg.split('/');
    const pub = config.publications.find((p) => p.code === code);
    if (!pub) throw new PipelineError({ kind: 'usage', message: `unknown publication "${code}"`, hint: `publications in ${config.file}: ${config.publications.map((p) => p.code).join(', ')}` });
    if (period !== undefined && !pub.periods.some((e) => e.period.label === period)) {
      throw new PipelineError({ kind: 'usage', message: `publication "${code}" has no period "${period}" in ${config.file}`, hint: `configured periods: ${pub.periods.map((e) => e.period.label).join(', ')}` });
    }
    for (const id of all) if (id === arg || (period === undefined && id.startsWith(`${code}/`))) out.add(id);
  }
  return [...out];
}

/** The remote the config names, or a usage error saying how to configure one. */
export async function openArchive(config: PipelineConfig, credentials: Credentials): Promise<Remote> {
  const settings: ArchiveSettings | undefined = config.archive;
  if (!settings) {
    throw new PipelineError({
      kind: 'usage',
      message: `${config.file} has no \`archive:\` setting`,
      hint: 'add, at the top level:\narchive:\n  url: s3://<bucket>/<prefix>\n  endpoint: https://<account id>.r2.cloudflarestorage.com   # R2 or MinIO; leave out for AWS S3\nand set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment',
    });
  }
  const { openRemote } = await import('../../lib/remote/s3.ts');
  return openRemote(settings, credentials);
}

/** Archives the selected built periods, snapshots the catalog, then applies `retention:` (if configured). */
export async function archiveWorkspace(
  ws: Workspace,
  stages: readonly Stage[],
  req: { args: string[]; olderThanDays?: number; sources: boolean; credentials: Credentials; jobs: number; signal: AbortSignal },
): Promise<ArchiveReport> {
  const ids = selectPeriods(ws.rawConfig, req.args).filter((id) => req.olderThanDays === undefined || olderThan(id.slice(id.indexOf('/') + 1), req.olderThanDays, ws.now()));
  const remote = await openArchive(ws.rawConfig, req.credentials);
  try {
    const away = await archivedAway(ws, ids);
    const rest = ids.filter((id) => !away.has(id));
    const targets = rest.map((id) => ({ publication: id.slice(0, id.indexOf('/')), period: id.slice(id.indexOf('/') + 1), stage: 'loaded' }));
    const plan = await buildPipeline(ws, stages, { targets, jobs: req.jobs, dryRun: true, signal: req.signal });
    const results = new Map(plan.results().map((r) => [r.key, r]));
    const chain = stages.filter((s) => s.grain === 'period').map((s) => s.name);
    const report: ArchiveReport = { remote: remote.url, periods: [], notBuilt: [], archived: [...away.keys()], catalog: [] };
    for (const id of rest) {
      const first = chain.map((s) => results.get(`${s}:${id}`)).find((r) => !r || r.outcome !== 'up-to-date');
      if (first) {
        report.notBuilt.push({ id, why: first.reason ? `${first.key}: ${describeReason(first.reason)}` : `${first.key}: ${first.outcome}` });
        continue;
      }
      report.periods.push(await archivePeriod(ws, stages, remote, id, { sources: req.sources, signal: req.signal }));
    }
    report.catalog = await snapshotCatalog(ws, remote);
    const keep = ws.rawConfig.retention?.keepPeriods;
    if (keep !== undefined) report.retention = await applyRetention(ws, stages, keep, [...new Set(req.args.map((a) => a.split('/')[0]!))], remote.url);
    return report;
  } finally {
    remote.close();
  }
}

/** Restores `ids` (`pub/period`) from the archive. */
export async function restoreWorkspace(ws: Workspace, stages: readonly Stage[], req: { ids: string[]; credentials: Credentials; signal: AbortSignal }): Promise<Restored[]> {
  const remote = await openArchive(ws.rawConfig, req.credentials);
  try {
    const out: Restored[] = [];
    for (const id of req.ids) out.push(await restorePeriod(ws, stages, remote, id, req.signal));
    return out;
  } finally {
    remote.close();
  }
}
