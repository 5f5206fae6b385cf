/**
 * The pipeline's config (`config/publications.yaml`): one YAML dialect, validated in one pass that
 * reports every problem with file:line:col, the source line, a squiggle and a hint.
 *
 * ```yaml
 * publications:
 *   adhd:                                 # publication code, lowercase snake_case
 *     name: ADHD Management Information
 *     landing_page: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd
 *     periods:
 *       - period: 2025-05                 # canonical period label (see lib/periods.ts)
 *         url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025
 *     overrides:                          # optional corrections applied at the canonical stage
 *       include_sheets: ["Chart Data"]
 *       tables:
 *         <generated_table>: { name: <new>, description: …, skip: true, columns: { <generated_column>: { name, type, description } } }
 * ```
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from './diagnostics.ts';
import { readArchive, readRetention } from './archive.ts';
import { readPublications } from './publications.ts';
import { Reader } from './reader.ts';
import type { Diagnostic, PipelineConfig, Publication } from './types.ts';

export type { ArchiveSettings, ColumnOverride, ColumnType, Diagnostic, DiscoverSettings, Loc, Overrides, PeriodEntry, PipelineConfig, Publication, RetentionSettings, TableOverride } from './types.ts';
export { COLUMN_TYPES } from './types.ts';
export { expandFilePattern, fileNameMatcher, FILE_TOKENS } from './files.ts';
export { ConfigError, didYouMean, editDistance, formatDiagnostic, formatDiagnostics } from './diagnostics.ts';

const TOP_KEYS = ['publications', 'archive', 'retention', 'remote'] as const;
const STARTER = [
  'publications:',
  '  adhd:',
  '    name: ADHD Management Information',
  '    periods:',
  '      - period: 2025-05',
  '        url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025',
].join('\n');

/** What to do about each YAML syntax error code the `yaml` package reports. */
const SYNTAX_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BLOCK_AS_IMPLICIT_KEY: 'a value that contains `: ` must be quoted, e.g. `name: "A&E: attendances"`',
  MULTILINE_IMPLICIT_KEY: 'a key and its `:` must be on one line; look for a missing `:` or a value indented too far',
  BAD_INDENT: 'keys of the same level must start in the same column; nested keys go two spaces further right',
  MISSING_CHAR: 'close the quote or bracket opened here',
  BAD_SCALAR_START: 'put values that start with @ or ` in quotes',
};

/**
 * Parse and validate config text. `file` is used in every position (as given) and to resolve the
 * config's directory. Throws ConfigError listing every error (and warning) when anything is wrong;
 * otherwise warnings are returned in `warnings`.
 */
export function parseConfig(text: string, file: string): PipelineConfig {
  const source = text.replace(/^\uFEFF/, '');
  const lines = new LineCounter();
  // YAML 1.2 core schema: `2025-05-01` stays text; duplicate keys are detected by the Reader, with both lines.
  const doc = parseDocument(source, { lineCounter: lines, keepSourceTokens: true, uniqueKeys: false, prettyErrors: false });
  const r = new Reader(file, source, lines, doc);
  for (const e of doc.errors) syntax(r, e, 'error');
  for (const w of doc.warnings) syntax(r, w, 'warning');
  if (doc.errors.length > 0) throw new ConfigError(r.diagnostics, source);

  const { publications, archive, retention, remote } = readTop(r, doc.contents);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new ConfigError(r.diagnostics, source);
  return { file, dir: path.dirname(path.resolve(file)), publications, ...(archive ? { archive } : {}), ...(retention ? { retention } : {}), ...(remote ? { remote } : {}), warnings: r.diagnostics };
}

function syntax(r: Reader, e: YAMLError, severity: Diagnostic['severity']): void {
  const hint = SYNTAX_HINTS[e.code] ?? 'check the indentation and punctuation of this line and the one above it';
  r.reportRange(severity, e.pos[0], e.pos[1], `invalid YAML: ${e.message}`, hint);
}

function readTop(r: Reader, contents: unknown): Pick<PipelineConfig, 'publications' | 'archive' | 'retention' | 'remote'> {
  const root = r.resolve(contents);
  if (root === null || (r.isMap(root) && root.items.length === 0)) {
    r.reportRange('error', 0, 0, 'the config has no publications', `start it like this:\n${STARTER}`);
    return { publications: [] };
  }
  if (!r.isMap(root)) {
    r.error(root, `the config must be a mapping with a \`publications:\` key, found ${r.shape(root)}`, `start it like this:\n${STARTER}`);
    return { publications: [] };
  }
  const keys = r.pairs(root, TOP_KEYS, 'the config file');
  const archive = readArchive(r, keys.get('archive')) ?? undefined;
  const retention = readRetention(r, keys.get('retention')) ?? undefined;
  const remote = readArchive(r, keys.get('remote'), 'remote') ?? undefined;
  const settings = { ...(archive ? { archive } : {}), ...(retention ? { retention } : {}), ...(remote ? { remote } : {}) };
  const pubs = keys.get('publications');
  if (!pubs) {
    r.reportRange('error', root.range?.[0] ?? 0, root.range?.[0] ?? 0, 'the config is missing `publications`', `start it like this:\n${STARTER}`);
    return { publications: [], ...settings };
  }
  if (!r.isMap(pubs.value) || pubs.value.items.length === 0) {
    const found = r.isMap(pubs.value) || r.isEmpty(pubs) ? 'is empty' : `must be a mapping of publication codes, found ${r.shape(pubs.value)}`;
    r.error(r.at(pubs), `\`publications\` ${found}`, `add one entry per publication, keyed by a code:\n${STARTER}`);
    return { publications: [], ...settings };
  }
  return { publications: readPublications(r, pubs.value), ...settings };
}

/**
 * Read and validate a config file. A missing or unreadable file is a ConfigError whose hint shows
 * how to start one.
 */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `config file not found: ${file}` : `cannot read config file ${file}: ${(err as Error).message}`;
    const hint = code === 'ENOENT' ? `create it with at least one publication, for example:\n${STARTER}` : 'check that the path is a readable file';
    throw new ConfigError([{ severity: 'error', message, loc: { file, line: 0, col: 0 }, hint }], '');
  }
  return parseConfig(text, file);
}
