/**
 * The answer the model is asked for, as a JSON schema (sent as `response_format`, strict), and the check of an
 * answer against that same schema. Names, columns and uniqueness are checked after (./validate.ts).
 */

/** Part of every request's hash: bump when the schema or the prompt changes what an answer means. */
export const SCHEMA_VERSION = 1;

export interface Answer {
  table_name: string;
  description: string;
  /** `One row per …`. */
  grain: string;
  columns: { id: string; name: string; description: string }[];
  series: { id: string; description: string }[];
}

type Schema =
  | { type: 'string'; minLength?: number; maxLength?: number; description?: string }
  | { type: 'array'; items: Schema; description?: string }
  | { type: 'object'; properties: Record<string, Schema>; required: string[]; additionalProperties: false; description?: string };

const text = (maxLength: number, description: string): Schema => ({ type: 'string', minLength: 1, maxLength, description });

export const ANSWER_SCHEMA: Schema = {
  type: 'object',
  properties: {
    table_name: text(63, 'snake_case, starting with the publication code and "_"'),
    description: text(1200, 'what the table holds, in one to three sentences'),
    grain: text(300, 'what one row is: "One row per …"'),
    columns: {
      type: 'array',
      description: 'one entry per column id given, in the same order',
      items: {
        type: 'object',
        properties: { id: text(8, 'the id given'), name: text(63, 'snake_case'), description: text(800, 'what the column holds') },
        required: ['id', 'name', 'description'],
        additionalProperties: false,
      },
    },
    series: {
      type: 'array',
      description: 'one entry per series id given (empty when none)',
      items: {
        type: 'object',
        properties: { id: text(8, 'the id given'), description: text(800, 'what each member column holds') },
        required: ['id', 'description'],
        additionalProperties: false,
      },
    },
  },
  required: ['table_name', 'description', 'grain', 'columns', 'series'],
  additionalProperties: false,
};

/** Parses the model's text; `problems` says what is wrong with it, in words the model is shown on its retry. */
export function parseAnswer(content: string): { value?: unknown; answer?: Answer; problems: string[] } {
  let value: unknown;
  try {
    // Some servers wrap JSON in a Markdown fence even when asked for JSON only.
    value = JSON.parse(content.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1'));
  } catch (err) {
    return { problems: [`the answer is not JSON (${(err as Error).message})`] };
  }
  return { value, ...checkAnswer(value) };
}

/** Checks a parsed answer against {@link ANSWER_SCHEMA}. */
export function checkAnswer(value: unknown): { answer?: Answer; problems: string[] } {
  const problems: string[] = [];
  check(value, ANSWER_SCHEMA, 'the answer', problems);
  return problems.length ? { problems } : { answer: value as Answer, problems };
}

function check(value: unknown, schema: Schema, at: string, problems: string[]): void {
  if (schema.type === 'string') {
    if (typeof value !== 'string') problems.push(`${at} must be a string`);
    else if (value.trim().length < (schema.minLength ?? 0)) problems.push(`${at} is empty`);
    else if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${at} is longer than ${schema.maxLength} characters`);
    return;
  }
  if (schema.type === 'array') {
    if (!Array.isArray(value)) problems.push(`${at} must be an array`);
    else value.forEach((v, i) => check(v, schema.items, `${at}[${i}]`, problems));
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${at} must be an object`);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const k of schema.required) if (!(k in obj)) problems.push(`${at} has no "${k}"`);
  for (const k of Object.keys(obj)) {
    const sub = schema.properties[k];
    if (!sub) problems.push(`${at} has "${k}", which is not asked for`);
    else if (k in obj) check(obj[k], sub, at === 'the answer' ? `"${k}"` : `${at}.${k}`, problems);
  }
}
