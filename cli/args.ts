/** Command-line parsing: one option table, pure, so every option is documented and tested in one place. */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { didYouMean } from '../lib/config/diagnostics.ts';
import { PipelineError } from '../lib/failure.ts';

/** How the command was called is wrong: exit 2, with a hint. */
export class UsageError extends PipelineError {
  constructor(message: string, hint = 'run `pipeline.ts --help` for usage') {
    super({ kind: 'usage', message, hint });
  }
}

export interface GlobalOptions {
  dir: string;
  config: string;
  jobs: number;
  json: boolean;
  verbose: boolean;
  help: boolean;
}

const GLOBAL = {
  dir: { type: 'string', short: 'C' },
  config: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMAND_OPTIONS = {
  build: { 'dry-run': { type: 'boolean', short: 'n' }, 'retry-failed': { type: 'boolean' }, refresh: { type: 'boolean' }, shard: { type: 'string' }, remote: { type: 'string' } },
  status: { check: { type: 'boolean' } },
  explain: {},
  clean: { execute: { type: 'boolean' }, skip: { type: 'string' }, 'include-unregistered': { type: 'boolean' } },
  watch: { debounce: { type: 'string' }, discover: { type: 'string' } },
  rename: { plan: { type: 'boolean' }, execute: { type: 'boolean' } },
  discover: { write: { type: 'boolean' } },
  archive: { 'older-than': { type: 'string' }, sources: { type: 'boolean' } },
  restore: {},
  report: { out: { type: 'string' } },
} as const;

export type Command = keyof typeof COMMAND_OPTIONS;
export const COMMANDS = Object.keys(COMMAND_OPTIONS) as Command[];

export interface Parsed {
  command: Command | undefined;
  global: GlobalOptions;
  options: Record<string, boolean | string | undefined>;
  positionals: string[];
}

export function parse(argv: string[], cwd: string): Parsed {
  const command = argv.find((a) => !a.startsWith('-')) as Command | undefined;
  if (command !== undefined && !COMMANDS.includes(command)) {
    const guess = didYouMean(command, COMMANDS) ?? COMMANDS.find((c) => c.startsWith(command.slice(0, 2)));
    throw new UsageError(`unknown command "${command}"`, `${guess ? `did you mean "${guess}"? ` : ''}commands: ${COMMANDS.join(', ')}`);
  }
  const rest = command ? argv.filter((a, i) => i !== argv.indexOf(command)) : argv;
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL, ...(command ? COMMAND_OPTIONS[command] : {}) },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    const message = (err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '').replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    const names = Object.keys({ ...GLOBAL, ...(command ? COMMAND_OPTIONS[command] : {}) }).map((n) => `--${n}`);
    const guess = unknown && didYouMean(unknown, names);
    throw new UsageError(message, guess ? `did you mean "${guess}"? run \`pipeline.ts ${command ?? ''} --help\` for options` : undefined);
  }
  const jobsText = values.jobs as string | undefined;
  const jobs = jobsText === undefined ? availableParallelism() : Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`-j expects a whole number of parallel jobs ≥ 1, got "${jobsText}"`);
  return {
    command,
    global: {
      dir: values.dir ? String(values.dir) : cwd,
      config: values.config ? String(values.config) : 'config/publications.yaml',
      jobs,
      json: Boolean(values.json),
      verbose: Boolean(values.verbose),
      help: Boolean(values.help),
    },
    options: values as Record<string, boolean | string | undefined>,
    positionals,
  };
}
