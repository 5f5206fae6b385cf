/** `build [TARGET...]`: bring targets up to date, or with -n print the plan. */
import { relative } from 'node:path';
import type { Summary } from '../../engine/index.ts';
import { llmSettings, settingsIdentity } from '../../lib/llm/settings.ts';
import type { LockHolder } from '../../lib/lock.ts';
import { archivedAway, buildPipeline, REGISTRY_VIEW, stageRank, proveNothingToDo, recordProof, registryDigest, selectTargets, type PeriodTarget, type Pipeline } from '../../rules/index.ts';
import type { ArtifactCache, Proven, Stage, Verdict } from '../../rules/index.ts';
import type { GlobalOptions, Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { hintLocaliser } from '../hints.ts';
import { makeReporter } from '../report.ts';
import { busyNote, withPipeline } from '../workspace.ts';

export async function buildCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const dryRun = Boolean(p.options['dry-run']);
  const retryFailed = Boolean(p.options['retry-failed']);
  const refresh = Boolean(p.options.refresh);
  const shard = p.options.shard as string | undefined;
  if (shard !== undefined) await (await import('../shard.ts')).shardOption(shard);
  const remoteUrl = p.options.remote as string | undefined;
  if (remoteUrl !== undefined) await (await import('../remote.ts')).checkRemoteCredentials(io, remoteUrl);
  // A proof that nothing changed since a build of the same selection decided nothing was to do (rules/noop-proof.ts).
  const selection = { root: p.global.dir, args: p.positionals, dryRun, configFile: p.global.config, database: databaseIdentity(io.env.DATABASE_URL), llm: settingsIdentity(llmSettings(io.env)) };
  // A shard's share is planned from files no proof records (the round's split), and its run reports that share:
  // shards always decide (in CI each is a fresh checkout anyway).
  const provable = !refresh && !retryFailed && !stages && shard === undefined;
  // When some of what the proof read changed, it still vouches for what none of that can reach (a deps log).
  let partial: Extract<Verdict, { kind: 'partial' }> | undefined;
  const before = async (busy: LockHolder | undefined) => {
    if (!provable || busy) return undefined;
    const verdict = await proveNothingToDo(selection, (id) => serverRegistryDigest(p.global.dir, io.env.DATABASE_URL!, id));
    // A remote cache may bring artifacts the proof never saw: with one, decide everything.
    if (verdict?.kind === 'partial' && remoteUrl === undefined) {
      partial = verdict;
      const changed = verdict.changed.map((f) => relative(p.global.dir, f) || f);
      if (p.global.json) io.stdout.write(JSON.stringify({ event: 'proof', proven: verdict.known.size, changed }) + '\n');
      else if (p.global.verbose) io.stderr.write(`${verdict.known.size} targets proven up to date by the last no-op's deps log; deciding the rest (changed: ${changed.join(', ')})\n`);
    }
    return verdict?.kind === 'all' ? replayUpToDate(io, verdict.keys, { global: p.global, dryRun }) : undefined;
  };
  return withPipeline(io, p.global, { refresh, write: !dryRun, command: 'build', stages, before }, async ({ pipeline, busy, afterClose }) => {
    const all = selectTargets(p.positionals, pipeline.ws.rawConfig, pipeline.stages);
    const targets = shard === undefined ? all : await (await import('../shard.ts')).shardSelection(io, p.global.json, pipeline, all, shard);
    if (busy && !p.global.json) io.stderr.write(`${busyNote(busy, pipeline.ws.embedded)}\n`);
    const remote = dryRun ? undefined : await (await import('../remote.ts')).openRemoteCache(io, remoteUrl, pipeline);
    const known = partial?.known;
    const { code, summary, decided } = await reportedBuild(io, pipeline, targets, { global: p.global, dryRun, retryFailed, remote, known }).finally(() => remote?.close());
    // Every target is now up to date, whether it was found so or just built: what the next build needs to know is
    // what this one consulted, so it can skip all of it that did not change since (rules/noop-proof.ts).
    const settled = summary['would-run'] + summary.failed + summary.skipped + summary.cancelled === 0;
    const carried = partial?.carried;
    if (provable && settled && !busy && pipeline.ws.embedded) {
      // After the workspace closes: a database this build opened is vouched for as it was once shut, by the signature
      // the registry's view was kept under then, while this process still held the database (rules/stores/registry.ts);
      // one taken now could include another process's session begun since.
      const { ws } = pipeline;
      afterClose(async () => recordProof(ws, selection, decided, undefined, carried, ws.dbOpened ? (ws.log.namedFingerprint(REGISTRY_VIEW) ?? 'unknown') : undefined));
    } else if (provable && settled && !busy) {
      const id = await pipeline.ws.identity();
      await recordProof(pipeline.ws, selection, decided, { digest: await registryDigest(await pipeline.ws.db(), id), workspaceId: id }, carried);
    }
    return code;
  });
}

/** The database as a proof names it: `embedded`, or the server's URL without its password. */
function databaseIdentity(url: string | undefined): string {
  if (!url) return 'embedded';
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, '@');
  }
}

async function serverRegistryDigest(root: string, url: string, workspaceId: string): Promise<string> {
  const { openDb } = await import('../../lib/db/index.ts');
  const db = await openDb({ workspace: root, databaseUrl: url });
  try {
    return await registryDigest(db, workspaceId);
  } finally {
    await db.close();
  }
}

/** A proven no-op, reported as the build would have reported it. */
async function replayUpToDate(io: Io, keys: string[], opts: { global: GlobalOptions; dryRun: boolean }): Promise<number> {
  const groups = [...new Set(keys.map((k) => k.slice(k.indexOf(':') + 1).split('/')[0]))];
  const reporter = await makeReporter(io, { json: opts.global.json, verbose: opts.global.verbose, dryRun: opts.dryRun, groups });
  const started = io.now().getTime();
  for (const key of keys) reporter.event({ type: 'target-end', key, outcome: 'up-to-date' });
  const summary: Summary = { 'up-to-date': keys.length, ran: 0, 'would-run': 0, failed: 0, skipped: 0, cancelled: 0 };
  await reporter.finish(summary, io.now().getTime() - started);
  return EXIT.ok;
}

/**
 * One build of `targets` in an open workspace, reported exactly as `build` reports it (events, then the
 * summary line or `{"event":"summary"}`). Shared with `watch`, which runs one per cycle.
 */
export async function reportedBuild(
  io: Io,
  pipeline: Pipeline,
  targets: PeriodTarget[],
  opts: { global: GlobalOptions; dryRun?: boolean; retryFailed?: boolean; remote?: ArtifactCache; known?: ReadonlyMap<string, Proven> },
): Promise<{ code: number; summary: Summary; decided: { key: string; digest: string; inputs: string[] }[] }> {
  const dryRun = Boolean(opts.dryRun);
  const groups = [...new Set(targets.map((t) => t.publication))];
  const reporter = await makeReporter(io, { json: opts.global.json, verbose: opts.global.verbose, dryRun, groups, planned: plannedPerGroup(pipeline.stages, targets), hint: hintLocaliser(opts.global, io.cwd) });
  const started = io.now().getTime();
  const session = await buildPipeline(pipeline.ws, pipeline.stages, {
    targets,
    jobs: opts.global.jobs,
    dryRun,
    retryFailed: opts.retryFailed,
    signal: io.signal,
    onEvent: (e) => reporter.event(e),
    remote: opts.remote,
    known: opts.known,
  });
  const summary = session.summary();
  // Archived periods (rows in the archive alone) were left alone: say so, once.
  const away = [...(await archivedAway(pipeline.ws, [...new Set(targets.map((t) => `${t.publication}/${t.period}`))])).keys()];
  if (away.length && opts.global.json) io.stdout.write(JSON.stringify({ event: 'archived', periods: away }) + '\n');
  else if (away.length) io.stdout.write(`note: ${away.length} archived period${away.length === 1 ? '' : 's'} left alone (rows in the archive only): ${away.join(', ')}; \`restore PUB/PERIOD\` brings one back\n`);
  await reporter.finish(summary, io.now().getTime() - started);
  // What a proof needs of each target decided up to date (kept only when all were).
  const decided = session.results().map((r) => ({ key: r.key, digest: r.digest ?? '', inputs: r.inputs ?? [] }));
  if (io.signal.aborted) return { code: EXIT.interrupted, summary, decided };
  return { code: summary.failed > 0 || summary.skipped > 0 ? EXIT.failed : EXIT.ok, summary, decided };
}

/** Period targets per publication this build will settle (each period's stages up to the one asked for); tables are counted as they come. */
function plannedPerGroup(stages: readonly Stage[], targets: PeriodTarget[]): Record<string, number> {
  const periodStages = stages.filter((x) => x.grain === 'period').map((x) => ({ name: x.name, rank: stageRank(stages, x.name) }));
  // Per period, the furthest stage asked for: a period named twice (`draft` and `loaded`) counts once.
  const furthest = new Map<string, { publication: string; rank: number }>();
  for (const t of targets) {
    const id = `${t.publication}/${t.period}`;
    const rank = stageRank(stages, t.stage);
    if ((furthest.get(id)?.rank ?? -1) < rank) furthest.set(id, { publication: t.publication, rank });
  }
  const out: Record<string, number> = {};
  for (const { publication, rank } of furthest.values()) out[publication] = (out[publication] ?? 0) + periodStages.filter((x) => x.rank <= rank).length;
  return out;
}
