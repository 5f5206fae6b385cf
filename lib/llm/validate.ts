/**
 * An answer held to the rules of derived names (lib/naming): snake_case, at most 63 bytes, no hash or upload id,
 * the table's name starting with its publication's code and taken by no other table, and exactly the columns and
 * series that were sent, each column named once. A model that invents a column or drops one is wrong, not
 * helpful: its answer is not used.
 */
import { MAX_IDENT } from '../naming/index.ts';
import type { Answer } from './schema.ts';

/** What an answer must agree with. */
export interface Expected {
  publication: string;
  /** Ids of the columns sent one by one, and of the series. */
  columns: readonly string[];
  series: readonly string[];
  /** Names the members of series keep: no column sent alone may take one. */
  memberNames: readonly string[];
  /** Names of the period's other tables and of the reference period's tables. */
  takenTables: ReadonlySet<string>;
}

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** A word of hex digits and letters, six or more: a hash or an upload id, never a word of meaning. */
const HASHLIKE = /^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{6,}$/;

/** What is wrong with a name: undefined when it is a good identifier. */
export function identifierProblem(name: string): string | undefined {
  if (!SNAKE.test(name)) return 'is not snake_case (lowercase letters and digits in words joined by single "_", starting with a letter)';
  if (Buffer.byteLength(name) > MAX_IDENT) return `is ${Buffer.byteLength(name)} bytes long; PostgreSQL keeps ${MAX_IDENT}`;
  const hash = name.split('_').find((w) => HASHLIKE.test(w));
  if (hash) return `has "${hash}", which looks like a hash or a file id; names say what a table or column holds`;
  return undefined;
}

/** Every way the answer breaks the naming rules, in words the model is shown on its retry; empty when none. */
export function namingProblems(answer: Answer, expected: Expected): string[] {
  const problems: string[] = [];
  const table = answer.table_name;
  const bad = identifierProblem(table);
  if (bad) problems.push(`table_name "${table}" ${bad}`);
  else if (!table.startsWith(`${expected.publication}_`) || table === `${expected.publication}_`) problems.push(`table_name "${table}" must start with "${expected.publication}_" and say more after it`);
  else if (expected.takenTables.has(table)) problems.push(`table_name "${table}" is already the name of another table; choose one that tells this table apart`);
  if (!/^one row per\s+\S/i.test(answer.grain.trim())) problems.push(`grain must start with "One row per" and say what a row is`);

  problems.push(...idProblems('columns', answer.columns.map((c) => c.id), expected.columns));
  problems.push(...idProblems('series', answer.series.map((f) => f.id), expected.series));
  const members = new Set(expected.memberNames);
  const seen = new Map<string, string>();
  for (const c of answer.columns) {
    const why = identifierProblem(c.name);
    if (why) problems.push(`column ${c.id}: name "${c.name}" ${why}`);
    else if (members.has(c.name)) problems.push(`column ${c.id}: name "${c.name}" is the name of a series member column; choose another`);
    else if (seen.has(c.name)) problems.push(`columns ${seen.get(c.name)} and ${c.id} are both named "${c.name}"; each column needs its own name`);
    seen.set(c.name, seen.get(c.name) ?? c.id);
  }
  return problems;
}

/** Exactly the ids sent, each once. */
function idProblems(what: string, got: string[], sent: readonly string[]): string[] {
  const problems: string[] = [];
  const want = new Set(sent);
  const invented = got.filter((id) => !want.has(id));
  const missing = sent.filter((id) => !got.includes(id));
  const twice = got.filter((id, i) => want.has(id) && got.indexOf(id) !== i);
  if (invented.length) problems.push(`${what} has ids that were not sent: ${[...new Set(invented)].join(', ')}`);
  if (missing.length) problems.push(`${what} is missing ${missing.join(', ')}`);
  if (twice.length) problems.push(`${what} has ${[...new Set(twice)].join(', ')} more than once`);
  if (problems.length) problems.push(`answer exactly these ${what}: ${sent.length ? sent.join(', ') : 'none (an empty array)'}`);
  return problems;
}
