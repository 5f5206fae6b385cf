/**
 * What an answer must be (the schema, the naming rules, exactly the columns sent), how wide tables are shown
 * (numbered series), what a request's key depends on, and the settings read from the environment.
 */
import { describe, expect, it } from 'vitest';
import { columnEntries, identifierProblem, llmSettings, namingProblems, parseAnswer, tableRequest, type Answer, type Expected, type TableForModel } from '../../lib/llm/index.ts';
import { PipelineError } from '../../lib/failure.ts';

const answer = (over: Partial<Answer> = {}): Answer => ({
  table_name: 'oaps_placements',
  description: 'Placements.',
  grain: 'One row per question and breakdown.',
  columns: [{ id: 'c1', name: 'question', description: 'Q.' }, { id: 'c2', name: 'value', description: 'V.' }],
  series: [],
  ...over,
});
const expected: Expected = { publication: 'oaps', columns: ['c1', 'c2'], series: [], memberNames: [], takenTables: new Set(['oaps_other']) };

describe('numbered column series', () => {
  it("RTT's weekly bands are one series; the columns around them stay alone", () => {
    const headers = ['Region Code', 'Provider Code', 'Treatment Function', ...Array.from({ length: 104 }, (_, i) => `>${i}-${i + 1}`), '104 plus', 'Total'];
    const e = columnEntries(headers);
    expect(e.singles.map((s) => s.id)).toEqual(['c1', 'c2', 'c3', 'c108', 'c109']);
    expect(e.series).toEqual([{ id: 's1', members: Array.from({ length: 104 }, (_, i) => i + 3), shape: '>#-#' }]);
  });

  it('GP earnings: years are a series; years by deflator are three, interleaved', () => {
    expect(columnEntries(['Country', 'Category', '2002/03', '2003/04', '2004/05']).series.map((f) => f.members)).toEqual([[2, 3, 4]]);
    const headers = ['Country', ...['2002/03', '2003/04', '2004/05'].flatMap((y) => [`${y} - GDP`, `${y} - RPI`, `${y} - CPI`])];
    expect(columnEntries(headers).series.map((f) => [f.id, f.shape, f.members])).toEqual([
      ['s1', '#/# - GDP', [1, 4, 7]],
      ['s2', '#/# - RPI', [2, 5, 8]],
      ['s3', '#/# - CPI', [3, 6, 9]],
    ]);
  });

  it('two numbered columns are just columns', () => {
    expect(columnEntries(['Breakdown1', 'Breakdown1Code', 'Breakdown2', 'Breakdown2Code']).series).toEqual([]);
  });

  it('a series is sent as one entry, with its first headers, its last and its count', () => {
    const t: TableForModel = {
      publication: 'rtt', file: 'f.xlsx', name: 'rtt_provider', description: 'd', rows: 1,
      columns: ['Provider', ...Array.from({ length: 52 }, (_, i) => `>${i}-${i + 1}`)].map((h) => ({ header: h, type: 'integer', samples: ['1'], name: h, description: `${h}.` })),
    };
    const shown = JSON.parse(tableRequest(t, 'm').body.messages[1].content);
    expect(shown.columns).toHaveLength(1);
    expect(shown.series).toEqual([{ id: 's1', count: 52, headers: ['>0-1', '>1-2', '>2-3', '…', '>51-52'], type: 'integer', samples: ['1'], publisher_description: '>0-1.' }]);
  });
});

describe('the key of a request', () => {
  const t: TableForModel = { publication: 'oaps', file: 'a.csv', name: 'oaps_a', description: 'd', rows: 1, columns: [{ header: 'A', type: 'text', samples: ['x'], name: 'a', description: 'A.' }] };
  it('is the same for the same table and model, and changes with the model or the table', () => {
    expect(tableRequest(t, 'm1').sha256).toBe(tableRequest(structuredClone(t), 'm1').sha256);
    expect(tableRequest(t, 'm2').sha256).not.toBe(tableRequest(t, 'm1').sha256);
    expect(tableRequest({ ...t, rows: 2 }, 'm1').sha256).not.toBe(tableRequest(t, 'm1').sha256);
  });
});

describe('an answer', () => {
  it('must be JSON of the schema: nothing missing, nothing more', () => {
    expect(parseAnswer('{"table_name": ').problems[0]).toMatch(/not JSON/);
    const { table_name: _, ...rest } = answer();
    expect(parseAnswer(JSON.stringify({ ...rest, extra: 1 })).problems).toEqual(['the answer has no "table_name"', 'the answer has "extra", which is not asked for']);
    expect(parseAnswer(JSON.stringify({ ...answer(), columns: [{ id: 'c1', name: 'q' }] })).problems).toEqual(['"columns"[0] has no "description"']);
    expect(parseAnswer('```json\n' + JSON.stringify(answer()) + '\n```').answer).toEqual(answer());
  });

  it('follows the naming rules', () => {
    expect(namingProblems(answer(), expected)).toEqual([]);
    expect(namingProblems(answer({ table_name: 'Placements' }), expected)[0]).toMatch(/is not snake_case/);
    expect(namingProblems(answer({ table_name: 'placements' }), expected)[0]).toMatch(/must start with "oaps_"/);
    expect(namingProblems(answer({ table_name: 'oaps_other' }), expected)[0]).toMatch(/already the name of another table/);
    expect(namingProblems(answer({ table_name: 'oaps_placements_a3f9c2d1' }), expected)[0]).toMatch(/"a3f9c2d1", which looks like a hash/);
    expect(namingProblems(answer({ table_name: `oaps_${'x'.repeat(60)}` }), expected)[0]).toMatch(/is 65 bytes long; PostgreSQL keeps 63/);
    expect(namingProblems(answer({ grain: 'Each row is a question.' }), expected)).toEqual(['grain must start with "One row per" and say what a row is']);
  });

  it('names exactly the columns sent, each once', () => {
    const cols = answer().columns;
    expect(namingProblems(answer({ columns: [...cols, { id: 'c3', name: 'x', description: 'X.' }] }), expected)).toEqual(['columns has ids that were not sent: c3', 'answer exactly these columns: c1, c2']);
    expect(namingProblems(answer({ columns: cols.slice(0, 1) }), expected)).toEqual(['columns is missing c2', 'answer exactly these columns: c1, c2']);
    expect(namingProblems(answer({ columns: [cols[0], { ...cols[1], name: 'question' }] }), expected)).toEqual(['columns c1 and c2 are both named "question"; each column needs its own name']);
    expect(namingProblems(answer({ columns: [cols[0], { ...cols[1], name: '2nd' }] }), expected)[0]).toMatch(/column c2: name "2nd" is not snake_case/);
    expect(namingProblems(answer(), { ...expected, memberNames: ['value'] })).toEqual(['column c2: name "value" is the name of a series member column; choose another']);
    expect(namingProblems(answer(), { ...expected, series: ['s1'] })).toEqual(['series is missing s1', 'answer exactly these series: s1']);
  });

  it('identifiers: snake_case, 63 bytes, no hash', () => {
    expect(identifierProblem('covid19_cases')).toBeUndefined();
    expect(identifierProblem('c_2002_03')).toBeUndefined();
    expect(identifierProblem('a__b')).toMatch(/snake_case/);
    expect(identifierProblem('_row_kind')).toMatch(/snake_case/);
  });
});

describe('settings from the environment', () => {
  const usage = (env: Record<string, string>) => {
    try {
      llmSettings(env);
    } catch (err) {
      return err instanceof PipelineError ? `${err.failure.kind}: ${err.failure.message} | ${err.failure.hint}` : String(err);
    }
    return 'no error';
  };

  it('off without variables; the API root becomes the chat-completions endpoint, its query kept', () => {
    expect(llmSettings({})).toEqual({ endpoint: 'https://api.openai.com/v1/chat/completions', timeoutMs: 120_000 });
    expect(llmSettings({ NHS_PIPELINE_LLM_BASE_URL: 'http://localhost:11434/v1/' }).endpoint).toBe('http://localhost:11434/v1/chat/completions');
    expect(llmSettings({ NHS_PIPELINE_LLM_BASE_URL: 'https://r.openai.azure.com/openai/deployments/d?api-version=2024-10-21' }).endpoint).toBe('https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21');
    expect(llmSettings({ NHS_PIPELINE_LLM_BASE_URL: 'http://localhost:8080/v1/chat/completions' }).endpoint).toBe('http://localhost:8080/v1/chat/completions');
  });

  it('a value that cannot be right is a usage error naming the variable and what to do', () => {
    expect(usage({ NHS_PIPELINE_LLM_API_KEY: 'k' })).toMatch(/^usage: NHS_PIPELINE_LLM_API_KEY is set but NHS_PIPELINE_LLM_MODEL is not \| set NHS_PIPELINE_LLM_MODEL/);
    expect(usage({ NHS_PIPELINE_LLM_BASE_URL: 'localhost:11434' })).toMatch(/must be an http\(s\) URL/);
    expect(usage({ NHS_PIPELINE_LLM_BASE_URL: 'not a url' })).toMatch(/NHS_PIPELINE_LLM_BASE_URL "not a url" is not a URL/);
    expect(usage({ NHS_PIPELINE_LLM_TIMEOUT: 'soon' })).toMatch(/NHS_PIPELINE_LLM_TIMEOUT "soon" is not a number of seconds/);
    expect(usage({ NHS_PIPELINE_LLM_PRICE_INPUT: '0.15' })).toMatch(/NHS_PIPELINE_LLM_PRICE_INPUT is set without NHS_PIPELINE_LLM_PRICE_OUTPUT \| set both/);
    expect(usage({ NHS_PIPELINE_LLM_PRICE_INPUT: '$0.15', NHS_PIPELINE_LLM_PRICE_OUTPUT: '1' })).toMatch(/"\$0.15" is not a price/);
  });
});
