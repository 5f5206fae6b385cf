/** The command line as a function: argv and the outside world in, an exit code out. */
import { toFailure } from '../engine/index.ts';
import { ConfigError } from '../lib/config/index.ts';
import { TargetError } from '../rules/index.ts';
import { parse, UsageError, type Command } from './args.ts';
import { buildCommand } from './commands/build.ts';
import { cleanCommand } from './commands/clean.ts';
import { explainCommand } from './commands/explain.ts';
import { statusCommand } from './commands/status.ts';
import { watchCommand } from './commands/watch.ts';
import { HELP } from './help.ts';
import { EXIT, styler, type Io } from './io.ts';

const COMMANDS: Record<Command, (io: Io, p: ReturnType<typeof parse>) => Promise<number>> = {
  build: buildCommand,
  status: statusCommand,
  explain: explainCommand,
  clean: cleanCommand,
  watch: watchCommand,
};

export async function main(argv: string[], io: Io): Promise<number> {
  const c = styler(io.stderr, io.env);
  try {
    const p = parse(argv, io.cwd);
    if (p.global.help || !p.command) {
      io.stdout.write(HELP[p.command ?? 'main'] + '\n');
      return p.global.help ? EXIT.ok : EXIT.usage;
    }
    return await COMMANDS[p.command](io, p);
  } catch (err) {
    if (io.signal.aborted) return EXIT.interrupted;
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof TargetError) {
      io.stderr.write(`${c.red('error:')} ${err.message}\n  hint: ${err.hint}\n`);
      return EXIT.usage;
    }
    const { message, hint } = toFailure(err);
    io.stderr.write(`${c.red('error:')} ${message}${hint ? `\n  hint: ${hint}` : ''}\n`);
    if (io.env.NHS_PIPELINE_DEBUG) io.stderr.write(`${(err as Error).stack}\n`);
    return EXIT.failed;
  }
}
