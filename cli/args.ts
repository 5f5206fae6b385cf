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
  version: boolean;
}

const GLOBAL = {
  dir: { type: 'string', short: 'C' },
  config: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
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
  ls: {},
  sql: { csv: { type: 'boolean' }, write: { type: 'boolean' } },
  graph: { mermaid: { type: 'boolean' } },
  init: {},
  doctor: {},
  completion: {},
} as const;

export type Command = keyof typeof COMMAND_OPTIONS;
export const COMMANDS = Object.keys(COMMAND_OPTIONS) as Command[];

export interface Parsed {
  command: Command | undefined;
  global: GlobalOptions;
  options: Record<string, boolean | string | undefined>;
  positionals: string[];
}

/** Global options that take a value: before the command, their value is not the command (`-C DIR build`). */
const VALUED = new Set(['-C', '--dir', '--config', '-j', '--jobs']);

/** Where the command is: the first word that is neither an option nor the value of a global option before it. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return -1;
    if (!argv[i].startsWith('-')) return i;
    if (VALUED.has(argv[i])) i++;
  }
  return -1;
}

export function parse(argv: string[], cwd: string): Parsed {
  const at = commandIndex(argv);
  const command = (at < 0 ? undefined : argv[at]) as Command | undefined;
  if (command !== undefined && !COMMANDS.includes(command)) {
    const guess = didYouMean(command, COMMANDS) ?? COMMANDS.find((c) => c.startsWith(command.slice(0, 2)));
    throw new UsageError(`unknown command "${command}"`, `${guess ? `did you mean "${guess}"? ` : ''}commands: ${COMMANDS.join(', ')}`);
  }
  const rest = at < 0 ? argv : argv.filter((_, i) => i !== at);
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
      version: Boolean(values.version),
    },
    options: values as Record<string, boolean | string | undefined>,
    positionals,
  };
}
