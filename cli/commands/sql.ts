/**
 * `sql [STATEMENT]`: SQL on the workspace's database, whichever it is (embedded PGlite, or the DATABASE_URL server).
 * Each statement runs in its own transaction: READ ONLY (a snapshot) unless `--write`, which also takes the
 * workspace lock as a build does. Results as an aligned table, `--csv` or `--json`. Without a statement, statements
 * are read from stdin: a script when it is a pipe, a prompt when it is a terminal.
 */
import { createInterface } from 'node:readline';
import { PipelineError } from '../../lib/failure.ts';
import type { Db } from '../../lib/db/index.ts';
import { DatabaseBusy, type Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { complete, formatCsv, formatTable, jsonRows, splitStatements } from '../sql-text.ts';
import { withPipeline } from '../workspace.ts';

/** A statement the database refused: exit 1, the database's own words, and what to do when it was a write. */
class SqlError extends PipelineError {
  constructor(statement: string, err: unknown, write: boolean) {
    const e = err as { message?: string; code?: string };
    const readOnly = e.code === '25006' || /read-only transaction/.test(e.message ?? '');
    super({
      kind: readOnly ? 'usage' : 'input',
      message: `${e.message ?? String(err)} (in: ${statement.length > 80 ? `${statement.slice(0, 77)}...` : statement})`,
      ...(readOnly && !write ? { hint: 'sql is read-only unless asked: add --write to change the database (it then takes the workspace lock, as a build does)' } : {}),
    });
  }
}

export async function sqlCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const write = Boolean(p.options.write);
  const prompt = p.positionals.length === 0 && Boolean(io.stdin?.isTTY);
  const given = p.positionals.length ? p.positionals.join(' ') : prompt || !io.stdin ? '' : await readAll(io.stdin);
  const statements = splitStatements(given);
  if (!prompt && statements.length === 0) throw new UsageError('sql needs a statement: `sql "SELECT ..."`, or statements on stdin', 'run `pipeline.ts sql --help` for usage');
  return withPipeline(io, p.global, { write, command: 'sql', stages }, async ({ pipeline }) => {
    const db = await pipeline.ws.db().catch((err: unknown) => {
      if (!(err instanceof DatabaseBusy)) throw err;
      const h = err.holder;
      throw new PipelineError({
        kind: 'environment',
        message: `a ${h.command} is running in this workspace (pid ${h.pid}, since ${h.since}) and has the embedded database open; one process at a time may open it`,
        hint: 'run sql again when it has finished (`status` answers meanwhile, from the build log)',
      });
    });
    const run = (s: string) => runOne(io, db, s, { write, csv: Boolean(p.options.csv), json: p.global.json });
    if (prompt) return promptLoop(io, run);
    for (const [i, s] of statements.entries()) {
      if (i > 0 && !p.global.json && !p.options.csv) io.stdout.write('\n');
      await run(s);
    }
    return EXIT.ok;
  });
}

async function runOne(io: Io, db: Db, statement: string, o: { write: boolean; csv: boolean; json: boolean }): Promise<void> {
  let result;
  try {
    result = await db.transaction((tx) => tx.statement(statement), { snapshot: !o.write, signal: io.signal });
  } catch (err) {
    if (io.signal.aborted) throw err;
    throw new SqlError(statement, err, o.write);
  }
  io.stdout.write(o.json ? JSON.stringify(jsonRows(statement, result)) + '\n' : o.csv ? formatCsv(result) : formatTable(result));
}

/** A prompt on a terminal: a statement runs when a line ends it with `;`; an error is said and the prompt goes on. */
async function promptLoop(io: Io, run: (s: string) => Promise<void>): Promise<number> {
  const c = styler(io.stderr, io.env);
  io.stderr.write('SQL on the workspace database; end a statement with ";", Ctrl-D to leave.\n');
  const rl = createInterface({ input: io.stdin!, output: io.stderr as NodeJS.WritableStream, prompt: 'sql> ' });
  io.signal.addEventListener('abort', () => rl.close(), { once: true });
  let buffer = '';
  rl.prompt();
  for await (const line of rl) {
    buffer += `${line}\n`;
    if (complete(buffer)) {
      for (const s of splitStatements(buffer)) {
        try {
          await run(s);
        } catch (err) {
          if (io.signal.aborted) break;
          const e = err as PipelineError;
          io.stderr.write(`${c.red('error:')} ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}\n`);
        }
      }
      buffer = '';
    }
    rl.setPrompt(buffer ? '...> ' : 'sql> ');
    rl.prompt();
  }
  return io.signal.aborted ? EXIT.interrupted : EXIT.ok;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
