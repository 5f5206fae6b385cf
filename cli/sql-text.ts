/**
 * SQL text as `pipeline.ts sql` reads it: split into statements at the `;` that end them (not those inside quotes,
 * dollar quotes or comments), and results printed for a person (an aligned table), a spreadsheet (CSV) or a
 * program (JSON).
 */
import type { StatementResult } from '../lib/db/index.ts';

const blank = (s: string) => s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim() === '';

/** The statements of `text`, each without its `;`; empty ones (and comments alone) are dropped. */
export function splitStatements(text: string): string[] {
  const { ended, rest } = scan(text);
  return [...ended, rest].map((s) => s.trim()).filter((s) => !blank(s));
}

/** Whether `text` ends with a statement's `;` (outside quotes and comments): the prompt runs what it has then. */
export function complete(text: string): boolean {
  const { ended, rest } = scan(text);
  return ended.some((s) => !blank(s)) && blank(rest);
}

/** The `;`-terminated statements of `text`, and what follows the last `;`. */
function scan(text: string): { ended: string[]; rest: string } {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      if (!tag) i++;
      else {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      }
    } else if (ch === ';') {
      out.push(text.slice(start, i));
      start = ++i;
    } else i++;
  }
  return { ended: out, rest: text.slice(start) };
}

/** A value as text: NULL as the empty string, JSON as JSON, dates as ISO. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An aligned table with a header, numbers right-aligned, and the row count (psql's habit). */
export function formatTable(r: StatementResult): string {
  if (r.columns.length === 0) return `(${r.affected ?? 0} row${r.affected === 1 ? '' : 's'} changed)\n`;
  const text = r.rows.map((row) => row.map(cell));
  const numeric = r.columns.map((_, j) => r.rows.length > 0 && r.rows.every((row) => row[j] === null || typeof row[j] === 'number' || (typeof row[j] === 'string' && /^-?\d+(\.\d+)?$/.test(row[j] as string))));
  const width = r.columns.map((c, j) => Math.max(c.length, ...text.map((row) => row[j].length)));
  const line = (cells: string[], header = false) =>
    cells.map((x, j) => (numeric[j] && !header ? x.padStart(width[j]) : x.padEnd(width[j]))).join(' | ').trimEnd();
  const rows = text.map((row) => line(row));
  return [line(r.columns, true), width.map((w) => '-'.repeat(w)).join('-+-'), ...rows, `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

/** RFC 4180 CSV with a header row; NULL is an empty field. */
export function formatCsv(r: StatementResult): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [r.columns, ...r.rows.map((row) => row.map(cell))].map((row) => row.map(q).join(',')).join('\n') + '\n';
}

/** The `{"event":"rows",...}` line: columns, and rows as arrays of JSON values. */
export function jsonRows(statement: string, r: StatementResult): Record<string, unknown> {
  const value = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
  return { event: 'rows', statement, columns: r.columns, rows: r.rows.map((row) => row.map(value)), rowCount: r.rows.length, ...(r.affected !== undefined ? { affected: r.affected } : {}) };
}
