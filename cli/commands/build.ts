/** `build [TARGET...]`: bring targets up to date, or with -n print the plan. */
import { buildPipeline, selectTargets } from '../../rules/index.ts';
import type { Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import { makeReporter } from '../report.ts';
import { withWorkspace } from '../workspace.ts';

export async function buildCommand(io: Io, p: Parsed): Promise<number> {
  const dryRun = Boolean(p.options['dry-run']);
  return withWorkspace(io, p.global, { refresh: Boolean(p.options.refresh), lock: !dryRun, command: 'build' }, async (ws) => {
    const targets = selectTargets(p.positionals, ws.config);
    const groups = [...new Set(targets.map((t) => t.publication))];
    const reporter = makeReporter(io, { json: p.global.json, verbose: p.global.verbose, dryRun, groups });
    const started = io.now().getTime();
    const session = await buildPipeline(ws, {
      targets,
      jobs: p.global.jobs,
      dryRun,
      retryFailed: Boolean(p.options['retry-failed']),
      signal: io.signal,
      onEvent: (e) => reporter.event(e),
    });
    const summary = session.summary();
    await reporter.finish(summary, io.now().getTime() - started);
    if (io.signal.aborted) return EXIT.interrupted;
    return summary.failed > 0 || summary.skipped > 0 ? EXIT.failed : EXIT.ok;
  });
}
