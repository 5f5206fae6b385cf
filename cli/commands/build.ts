/** `build [TARGET...]`: bring targets up to date, or with -n print the plan. */
import type { Summary } from '../../engine/index.ts';
import { buildPipeline, selectTargets, type PeriodTarget, type Pipeline } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import type { GlobalOptions, Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { makeReporter } from '../report.ts';
import { busyNote, withPipeline } from '../workspace.ts';

export async function buildCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const dryRun = Boolean(p.options['dry-run']);
  return withPipeline(io, p.global, { refresh: Boolean(p.options.refresh), write: !dryRun, command: 'build', stages }, async ({ pipeline, busy }) => {
    const targets = selectTargets(p.positionals, pipeline.ws.rawConfig, pipeline.stages);
    if (busy && !p.global.json) io.stderr.write(`${busyNote(busy, pipeline.ws.embedded)}\n`);
    const { code } = await reportedBuild(io, pipeline, targets, { global: p.global, dryRun, retryFailed: Boolean(p.options['retry-failed']) });
    return code;
  });
}

/**
 * One build of `targets` in an open workspace, reported exactly as `build` reports it (events, then the
 * summary line or `{"event":"summary"}`). Shared with `watch`, which runs one per cycle.
 */
export async function reportedBuild(
  io: Io,
  pipeline: Pipeline,
  targets: PeriodTarget[],
  opts: { global: GlobalOptions; dryRun?: boolean; retryFailed?: boolean },
): Promise<{ code: number; summary: Summary }> {
  const dryRun = Boolean(opts.dryRun);
  const groups = [...new Set(targets.map((t) => t.publication))];
  const reporter = await makeReporter(io, { json: opts.global.json, verbose: opts.global.verbose, dryRun, groups });
  const started = io.now().getTime();
  const session = await buildPipeline(pipeline.ws, pipeline.stages, {
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
