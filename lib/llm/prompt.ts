/**
 * The request for one table: what the model is shown (the table compact: series as one entry, samples and the
 * publisher's words cut short), what it is asked for (./schema.ts), and the request's SHA-256, which is the key
 * its answer is kept under. Same table, model and schema version: same bytes, same key.
 */
import { createHash } from 'node:crypto';
import { columnEntries, type ColumnEntries } from './series.ts';
import { ANSWER_SCHEMA, SCHEMA_VERSION } from './schema.ts';

/** A table as the model is shown it; names and descriptions are the deterministic ones. */
export interface TableForModel {
  publication: string;
  pageTitle?: string;
  file: string;
  sheet?: string;
  caption?: string;
  name: string;
  description: string;
  rows: number;
  columns: { header: string; type: string; samples: string[]; name: string; description: string }[];
}

/** Tables with more entries than this (columns alone plus series) are not sent: their prompt and answer would be too long. */
export const MAX_ENTRIES = 150;

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }
export interface ChatBody {
  model: string;
  messages: ChatMessage[];
  response_format: { type: 'json_schema'; json_schema: { name: string; strict: true; schema: unknown } };
}

export interface TableRequest {
  /** SHA-256 of the schema version and the body. */
  sha256: string;
  body: ChatBody;
  entries: ColumnEntries;
}

const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
const samples = (xs: string[]) => xs.slice(0, 3).map((s) => cut(s, 40));

/** Whether a table can be sent at all. */
export const sendable = (t: TableForModel) => {
  const e = columnEntries(t.columns.map((c) => c.header));
  return t.columns.length > 0 && e.singles.length + e.series.length <= MAX_ENTRIES;
};

export function tableRequest(t: TableForModel, model: string): TableRequest {
  const entries = columnEntries(t.columns.map((c) => c.header));
  const table = {
    publication: t.publication,
    ...(t.pageTitle ? { page_title: t.pageTitle } : {}),
    file: t.file,
    ...(t.sheet ? { sheet: t.sheet } : {}),
    ...(t.caption ? { caption: t.caption } : {}),
    current_name: t.name,
    publisher_description: cut(t.description, 800),
    rows: t.rows,
    columns: entries.singles.map(({ id, index }) => {
      const c = t.columns[index];
      return { id, header: c.header, type: c.type, samples: samples(c.samples), current_name: c.name, publisher_description: cut(c.description, 300) };
    }),
    series: entries.series.map(({ id, members }) => {
      const first = t.columns[members[0]];
      const headers = members.length > 4 ? [...members.slice(0, 3).map((i) => t.columns[i].header), '…', t.columns[members[members.length - 1]].header] : members.map((i) => t.columns[i].header);
      return { id, count: members.length, headers, type: first.type, samples: samples(first.samples), publisher_description: cut(first.description, 300) };
    }),
  };
  const body: ChatBody = {
    model,
    messages: [
      { role: 'system', content: instructions(t.publication) },
      { role: 'user', content: JSON.stringify(table) },
    ],
    response_format: { type: 'json_schema', json_schema: { name: 'table_naming', strict: true, schema: forModel(ANSWER_SCHEMA) } },
  };
  return { sha256: requestSha256(body), body, entries };
}

export const requestSha256 = (body: ChatBody) => createHash('sha256').update(JSON.stringify({ schema_version: SCHEMA_VERSION, body })).digest('hex');

/** The same request, with the answer that could not be used and why: the one retry. */
export function retryBody(body: ChatBody, answer: string, problems: string[]): ChatBody {
  return {
    ...body,
    messages: [
      ...body.messages,
      { role: 'assistant', content: cut(answer, 4000) },
      { role: 'user', content: `That answer cannot be used: ${problems.join('; ')}. Answer again with the whole JSON object, following every rule.` },
    ],
  };
}

function instructions(publication: string): string {
  return [
    'You name and describe tables of NHS England statistics for a PostgreSQL warehouse used by analysts.',
    'You are given one table as JSON: the file it comes from, what the publisher says about it, and its columns, each with an id, its header, its type, sample values, and the name and description derived from it so far.',
    'Columns whose headers differ only in a number (weeks, years, bands) are given once, as a series.',
    '',
    'Answer with one JSON object and nothing else: {"table_name", "description", "grain", "columns": [{"id", "name", "description"}], "series": [{"id", "description"}]}.',
    '',
    'Rules:',
    `- table_name: lowercase snake_case, at most 63 bytes, starting with "${publication}_". It says what the table holds, keeps the table's number when it has one (such as 1a or e1), and has no dates, periods, file names or ids, so it fits every edition.`,
    '- columns: exactly one entry for each column id given, with the same ids, and no other. name: lowercase snake_case, at most 63 bytes, starting with a letter, each name used once in the table. description: what the column holds in one or two sentences, keeping the publisher\'s facts (units, notes, definitions).',
    '- series: exactly one entry for each series id given (an empty array when none). description: what each member column holds; each member keeps its own header and name.',
    '- description: what the table holds, in one to three plain sentences, saying nothing the input does not support.',
    '- grain: what one row is, starting "One row per".',
  ].join('\n');
}

/** The schema as sent: length limits are checked here, not asked of servers (strict modes refuse them). */
function forModel(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forModel);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (k !== 'minLength' && k !== 'maxLength') out[k] = forModel(v);
  return out;
}
