/** `build [TARGET...]`: bring targets up to date, or with -n print the plan. */
import type { Summary } from '../../engine/index.ts';
import { buildPipeline, selectTargets, type PeriodTarget, type Workspace } from '../../rules/index.ts';
import type { GlobalOptions, Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { makeReporter } from '../report.ts';
import { withWorkspace } from '../workspace.ts';

export async function buildCommand(io: Io, p: Parsed): Promise<number> {
  const dryRun = Boolean(p.options['dry-run']);
  return withWorkspace(io, p.global, { refresh: Boolean(p.options.refresh), lock: !dryRun, command: 'build' }, async (ws) => {
    const targets = selectTargets(p.positionals, ws.config);
    const { code } = await reportedBuild(io, ws, targets, { global: p.global, dryRun, retryFailed: Boolean(p.options['retry-failed']) });
    return code;
  });
}

/**
 * One build of `targets` in an open workspace, reported exactly as `build` reports it (events, then the
 * summary line or `{"event":"summary"}`). Shared with `watch`, which runs one per cycle.
 */
export async function reportedBuild(
  io: Io,
  ws: Workspace,
  targets: PeriodTarget[],
  opts: { global: GlobalOptions; dryRun?: boolean; retryFailed?: boolean },
): Promise<{ code: number; summary: Summary }> {
  const dryRun = Boolean(opts.dryRun);
  const groups = [...new Set(targets.map((t) => t.publication))];
  const reporter = makeReporter(io, { json: opts.global.json, verbose: opts.global.verbose, dryRun, groups });
  const started = io.now().getTime();
  const session = await buildPipeline(ws, {
    targets,
    jobs: opts.global.jobs,
    dryRun,
    retryFailed: opts.retryFailed,
    signal: io.signal,
    onEvent: (e) => reporter.event(e),
  });
  const summary = session.summary();
  await reporter.finish(summary, io.now().getTime() - started);
  if (io.signal.aborted) return { code: EXIT.interrupted, summary };
  return { code: summary.failed > 0 || summary.skipped > 0 ? EXIT.failed : EXIT.ok, summary };
}
