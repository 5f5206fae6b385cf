/**
 * Adding periods to `config/publications.yaml` the way a person would: each new `- period:` entry goes into its
 * publication's `periods:` list in period order, written like its neighbours, and every other byte of the file
 * (comments, blank lines, quoting, indentation) stays as it was.
 *
 * The `yaml` package's Document API finds where each entry goes (the ranges of the list's items); the entry is then
 * spliced into the text. Re-serialising the document instead (`doc.toString()`) would re-indent comments between
 * publications and re-wrap long lines, so the user's file would change in places nobody asked for. The result is
 * validated with the same parser as every config before the caller writes it.
 */
import { isMap, isScalar, isSeq, parseDocument, stringify, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { PipelineError } from '../failure.ts';
import { comparePeriodLabels } from '../periods.ts';
import { parseConfig } from './index.ts';
import type { PipelineConfig } from './types.ts';

/** One entry to add. */
export interface NewPeriod { publication: string; period: string; url: string }

/**
 * The config text with `additions` inserted, validated: every period listed before is still there with its URL,
 * and every addition is there with its own. Throws a usage error (nothing is written) otherwise.
 */
export function addPeriods(text: string, file: string, additions: NewPeriod[]): { text: string; config: PipelineConfig } {
  const before = parseConfig(text, file);
  const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: false });
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const inserts: { at: number; period: string; lines: string }[] = [];
  for (const add of additions) {
    const list = periodList(doc.contents, add.publication, file);
    inserts.push({ ...placeIn(text, list, add, eol), period: add.period });
  }
  // From the end of the file backwards, so earlier offsets stay valid; entries at one place in period order.
  inserts.sort((a, b) => b.at - a.at || comparePeriodLabels(b.period, a.period));
  let out = text;
  for (const ins of inserts) {
    const glue = ins.at > 0 && out[ins.at - 1] !== '\n' ? eol : '';
    out = out.slice(0, ins.at) + glue + ins.lines + out.slice(ins.at);
  }
  const config = parseConfig(out, file);
  check(before, config, additions, file);
  return { text: out, config };
}

function periodList(contents: unknown, code: string, file: string): YAMLSeq {
  const pubs = isMap(contents) ? contents.get('publications', true) : undefined;
  const pub = isMap(pubs) ? (pubs as YAMLMap).get(code, true) : undefined;
  const list = isMap(pub) ? (pub as YAMLMap).get('periods', true) : undefined;
  if (!isSeq(list) || list.items.length === 0 || list.flow) {
    throw new PipelineError({
      kind: 'usage',
      message: `${file}: the \`periods:\` of publication \`${code}\` is not a block list of entries, so new periods cannot be added to it automatically`,
      hint: 'write it as a block list (each entry on its own lines, starting with `- period:`), or add the periods by hand',
    });
  }
  return list as YAMLSeq;
}

/** Where the new entry goes (before the first entry with a later period, else after the last) and its text. */
function placeIn(text: string, list: YAMLSeq, add: NewPeriod, eol: string): { at: number; lines: string } {
  const items = list.items as Node[];
  const later = items.find((it) => comparePeriodLabels(periodOf(it), add.period) > 0);
  const model = later ?? items[items.length - 1]!;
  const start = model.range![0];
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const prefix = text.slice(lineStart, start);
  const dash = prefix.indexOf('-');
  const keyCol = start - lineStart;
  const inner = ' '.repeat(keyCol);
  const head = dash >= 0 ? `${' '.repeat(dash)}-${' '.repeat(Math.max(1, keyCol - dash - 1))}` : inner;
  const lines = `${head}period: ${add.period}${eol}${inner}url: ${scalar(add.url)}${eol}`;
  if (later) return { at: lineStart, lines };
  const end = model.range![1];
  const at = text[end - 1] === '\n' ? end : lineEnd(text, end);
  return { at, lines };
}

/** The offset just past the end of the line holding `offset` (the text's end when it has no final newline). */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

function periodOf(item: Node): string {
  const v = isMap(item) ? (item as YAMLMap).get('period', true) : undefined;
  return isScalar(v) ? String(v.source ?? v.value) : '';
}

/** A URL as a YAML scalar: plain when it can be, quoted when YAML needs it (`#`, `: `, a leading `@`…). */
function scalar(url: string): string {
  return stringify(url, { lineWidth: 0 }).trimEnd();
}

function check(before: PipelineConfig, after: PipelineConfig, additions: NewPeriod[], file: string): void {
  const urls = (c: PipelineConfig) => new Map(c.publications.flatMap((p) => p.periods.map((e) => [`${p.code}/${e.period.label}`, e.url] as const)));
  const [was, now] = [urls(before), urls(after)];
  const expected = new Map([...was, ...additions.map((a) => [`${a.publication}/${a.period}`, a.url] as const)]);
  const wrong = [...expected].find(([k, url]) => now.get(k) !== normalised(url)) ?? [...now.keys()].find((k) => !expected.has(k));
  if (wrong !== undefined || now.size !== expected.size) {
    throw new PipelineError({
      kind: 'bug',
      message: `adding periods to ${file} would not give the expected config (${Array.isArray(wrong) ? wrong[0] : wrong ?? 'a period count differs'}); nothing was written`,
      hint: 'add the periods by hand, and report this with the config file',
    });
  }
}

/** How the config reader normalises a web URL (spaces become %20). */
function normalised(url: string): string {
  return /^https?:/i.test(url) ? new URL(url).href : url;
}

/**
 * Adds `additions` to the config file atomically (lib/atomic.ts), after validating the result. Refuses when the
 * file changed while the additions were worked out (an editor saved it meanwhile): nothing is written then.
 */
export async function writePeriods(file: string, additions: NewPeriod[]): Promise<PipelineConfig> {
  const { readFile } = await import('node:fs/promises');
  const { writeFileAtomic } = await import('../atomic.ts');
  const text = await readFile(file, 'utf8');
  const next = addPeriods(text, file, additions);
  if ((await readFile(file, 'utf8')) !== text) {
    throw new PipelineError({ kind: 'usage', message: `${file} changed while the new periods were being added; nothing was written`, hint: 'run the command again' });
  }
  await writeFileAtomic(file, next.text);
  return next.config;
}
