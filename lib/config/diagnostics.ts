/**
 * Rendering config diagnostics the way compilers do (`file:line:col: error: …`, the source line, a
 * caret squiggle, a hint), the error that carries them, and "did you mean …?" suggestions.
 */

import { PipelineError } from '../failure.ts';
import type { Diagnostic } from './types.ts';

const HINT_PREFIX = '  hint: ';

/**
 * Render one diagnostic: a `file:line:col: severity: message` line, then (when the line exists in
 * `sourceText`) the source line and a `^~~~` squiggle under the offending text, then the hint.
 *
 * @example
 * config/publications.yaml:4:5: error: unknown key `landng_page` in publication `adhd`
 *   4 |     landng_page: https://digital.nhs.uk/…
 *     |     ^~~~~~~~~~~
 *   hint: did you mean `landing_page`?
 */
export function formatDiagnostic(d: Diagnostic, sourceText: string): string {
  const { file, line, col } = d.loc;
  const where = line > 0 ? `${file}:${line}:${col}` : file;
  const out = [`${where}: ${d.severity}: ${d.message}`];
  const lines = sourceText.split(/\r?\n/);
  if (line > 0 && line <= lines.length) {
    // Tabs become one space each so the caret stays under the same character.
    const src = lines[line - 1]!.replace(/\t/g, ' ');
    const gutter = ' '.repeat(String(line).length);
    const start = Math.min(Math.max(col, 1), src.length + 1);
    const width = Math.max(1, Math.min(d.length ?? 1, src.length - start + 1));
    out.push(`  ${line} | ${src}`.trimEnd());
    out.push(`  ${gutter} | ${' '.repeat(start - 1)}^${'~'.repeat(width - 1)}`);
  }
  if (d.hint) out.push(HINT_PREFIX + d.hint.split('\n').join('\n' + ' '.repeat(HINT_PREFIX.length)));
  return out.join('\n');
}

/** Render several diagnostics (sorted by position, errors before warnings at the same spot) and a count line. */
export function formatDiagnostics(diagnostics: Diagnostic[], sourceText: string): string {
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter((d) => d.severity === 'error').length;
  const warnings = sorted.length - errors;
  const file = sorted[0]?.loc.file ?? 'config';
  const counts = [plural(errors, 'error'), warnings ? plural(warnings, 'warning') : ''].filter(Boolean).join(' and ');
  return [...sorted.map((d) => formatDiagnostic(d, sourceText)), `${counts} in ${file}`].join('\n\n');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Diagnostics in reading order: by line, then column, errors first. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic): number => (d.severity === 'error' ? 0 : 1);
  return [...diagnostics].sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col || rank(a) - rank(b));
}

/**
 * A config that cannot be used. `message` renders every diagnostic (errors and warnings) with its
 * source line and squiggle, so printing the message is enough to show the user everything at once.
 */
export class ConfigError extends PipelineError {
  /** Every problem found, in reading order. */
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[], sourceText: string) {
    const text = formatDiagnostics(diagnostics, sourceText);
    const first = sortDiagnostics(diagnostics)[0];
    super({ kind: 'usage', message: text, text, ...(first ? { location: `${first.loc.file}:${first.loc.line}:${first.loc.col}` } : {}) });
    this.name = 'ConfigError';
    this.diagnostics = sortDiagnostics(diagnostics);
  }
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive and
 * treating `-` like `_`, so `nmae`, `URL` and `landing-page` are one step or less from the real key.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase().replace(/-/g, '_');
  const y = b.toLowerCase().replace(/-/g, '_');
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The candidate `word` was most likely meant to be, or undefined when none is close: within a third
 * of the word's length in edit distance (at least 1), or a candidate the word abbreviates (`desc`).
 *
 * @example didYouMean('landng_page', ['name', 'landing_page', 'periods']) === 'landing_page'
 */
export function didYouMean(word: string, candidates: string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  if (best) return best.candidate;
  const lower = word.toLowerCase();
  return lower.length >= 3 ? candidates.find((c) => c.toLowerCase().startsWith(lower)) : undefined;
}
