/**
 * The command line as a function: argv and the outside world in, an exit code out. Each command's module is
 * imported only when it runs, so `--help` loads nothing of the pipeline.
 */
import { ConfigError } from '../lib/config/diagnostics.ts';
import { toFailure } from '../lib/failure.ts';
import { parse, type Command, type GlobalOptions, type Parsed } from './args.ts';
import { hintLocaliser } from './hints.ts';
import { EXIT, styler, type Io } from './io.ts';
import { errorEvent, stampedOut, wantsJson } from './json-out.ts';
import type { Stage } from '../rules/index.ts';

/** A command: the outside world, the parsed command line, and the pipeline's stages (tests may add one). */
type Run = (io: Io, p: Parsed, stages?: readonly Stage[]) => Promise<number>;

const COMMANDS: Record<Command, () => Promise<Run>> = {
  build: async () => (await import('./commands/build.ts')).buildCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  explain: async () => (await import('./commands/explain.ts')).explainCommand,
  clean: async () => (await import('./commands/clean.ts')).cleanCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  rename: async () => (await import('./commands/rename.ts')).renameCommand,
  discover: async () => (await import('./commands/discover.ts')).discoverCommand,
  archive: async () => (await import('./commands/archive.ts')).archiveCommand,
  restore: async () => (await import('./commands/restore.ts')).restoreCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  ls: async () => (await import('./commands/ls.ts')).lsCommand,
  sql: async () => (await import('./commands/sql.ts')).sqlCommand,
  graph: async () => (await import('./commands/graph.ts')).graphCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  doctor: async () => (await import('./commands/doctor.ts')).doctorCommand,
  completion: async () => (await import('./commands/completion.ts')).completionCommand,
};

export async function main(argv: string[], io: Io, stages?: readonly Stage[]): Promise<number> {
  const json = wantsJson(argv);
  const stamped = json ? stampedOut(io.stdout, io.now) : undefined;
  if (stamped) io = { ...io, stdout: stamped };
  try {
    return await run(argv, io, json, stages);
  } finally {
    stamped?.flush();
  }
}

async function run(argv: string[], io: Io, json: boolean, stages?: readonly Stage[]): Promise<number> {
  const c = styler(io.stderr, io.env);
  try {
    const p = parse(argv, io.cwd);
    if (p.global.version) {
      const { version } = await import('./version.ts');
      const v = await version();
      io.stdout.write(json ? JSON.stringify({ event: 'version', name: 'nhs-pipeline', version: v }) + '\n' : `nhs-pipeline ${v}\n`);
      return EXIT.ok;
    }
    if (!p.global.help && !p.command && json) {
      errorEvent(io, { kind: 'usage', message: 'no command given', hint: 'run `pipeline.ts --help` for usage', exitCode: EXIT.usage });
      return EXIT.usage;
    }
    if (p.global.help || !p.command) {
      const { HELP } = await import('./help.ts');
      io.stdout.write(HELP[p.command ?? 'main'] + '\n');
      return p.global.help ? EXIT.ok : EXIT.usage;
    }
    return await (await COMMANDS[p.command]())(io, p, stages);
  } catch (err) {
    if (io.signal.aborted) return EXIT.interrupted;
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      if (json) errorEvent(io, { kind: 'config', message: err.message, exitCode: EXIT.usage, diagnostics: err.diagnostics });
      return EXIT.usage;
    }
    const failure = toFailure(err);
    const { kind, message } = failure;
    const hint = failure.hint && hintLocaliser(parsedGlobal(argv, io.cwd), io.cwd)(failure.hint);
    io.stderr.write(`${c.red('error:')} ${message}${hint ? `\n  hint: ${hint}` : ''}\n`);
    if (io.env.NHS_PIPELINE_DEBUG) io.stderr.write(`${(err as Error).stack}\n`);
    const code = kind === 'usage' ? EXIT.usage : EXIT.failed;
    if (json) errorEvent(io, { kind, message, ...(hint ? { hint } : {}), exitCode: code });
    return code;
  }
}

/** -C and --config as given, for hints, even when the command line did not parse: the defaults then. */
function parsedGlobal(argv: string[], cwd: string): Pick<GlobalOptions, 'dir' | 'config'> {
  try {
    return parse(argv, cwd).global;
  } catch {
    return { dir: cwd, config: 'config/publications.yaml' };
  }
}
