/**
 * Reading the YAML document tree with positions: typed accessors for scalars, maps and lists that
 * report a positioned diagnostic instead of throwing, so one pass collects every problem.
 */

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { didYouMean } from './diagnostics.ts';
import type { Diagnostic, Loc } from './types.ts';

/** One `key: value` of a mapping; `value` is null when nothing follows the colon. */
export interface Entry {
  key: Node;
  value: Node | null;
}

/** Collects diagnostics for one config text and answers "where is this node?". */
export class Reader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  /** Position of a character offset. */
  locAt(offset: number): Loc {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Position of a node (its first character). */
  loc(node: Node): Loc {
    return this.locAt(node.range?.[0] ?? 0);
  }

  /** Report a problem at `node`, underlining the node's text on its first line. */
  report(severity: Diagnostic['severity'], node: Node, message: string, hint?: string): void {
    const [start, end] = node.range ?? [0, 1];
    this.reportRange(severity, start, end, message, hint);
  }

  /** Report a problem at a character range. */
  reportRange(severity: Diagnostic['severity'], start: number, end: number, message: string, hint?: string): void {
    const lineEnd = this.text.indexOf('\n', start);
    const stop = Math.min(end, lineEnd === -1 ? this.text.length : lineEnd);
    const length = Math.max(1, this.text.slice(start, stop).trimEnd().length);
    this.diagnostics.push({ severity, message, loc: this.locAt(start), length, ...(hint ? { hint } : {}) });
  }

  error(node: Node, message: string, hint?: string): void {
    this.report('error', node, message, hint);
  }

  warn(node: Node, message: string, hint?: string): void {
    this.report('warning', node, message, hint);
  }

  /** Follow `*alias` references to the anchored node, so anchors work anywhere in the config. */
  resolve(node: unknown): Node | null {
    if (!isAlias(node)) return (node as Node | null | undefined) ?? null;
    const target = node.resolve(this.doc) as Node | undefined;
    if (!target) this.error(node, `unknown alias \`*${node.source}\``, `define the anchor first, with \`&${node.source}\` before the value you want to reuse`);
    return target ?? null;
  }

  /**
   * A scalar's text exactly as the user means it: plain scalars use their source text, so
   * `period: 2024` stays "2024" (YAML would read a number) and `1.10` keeps its trailing zero.
   * Undefined for null/empty values (`url:`, `url: ~`).
   */
  scalarText(node: Node): string | undefined {
    if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
    if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
    return String(node.value);
  }

  isMap(node: Node | null): node is YAMLMap {
    return isMap(node);
  }

  isSeq(node: Node | null): node is YAMLSeq {
    return isSeq(node);
  }

  /**
   * The pairs of a mapping whose keys are names the user chooses (publication codes, table names),
   * keyed by text. Non-text keys and repeated keys are reported (the repeat is pointed at, with the
   * line of the first; `duplicate` words the message) and left out.
   */
  entries(map: YAMLMap, where: string, duplicate?: (key: string, firstLine: number) => [string, string]): Map<string, Entry> {
    const seen = new Map<string, Entry>();
    for (const pair of map.items as Array<Pair<unknown, unknown>>) {
      const keyNode = this.resolve(pair.key);
      const key = keyNode ? this.scalarText(keyNode) : undefined;
      if (!keyNode || key === undefined) {
        this.error(keyNode ?? map, `a key in ${where} is not a name`, 'keys are plain words followed by `:`, e.g. `name: …`');
        continue;
      }
      const first = seen.get(key);
      if (first) {
        const line = this.loc(first.key).line;
        const [message, hint] = duplicate?.(key, line) ?? [
          `duplicate key \`${key}\` in ${where}; the first is on line ${line}`,
          'keep one of them (YAML would silently use only one)',
        ];
        this.error(keyNode, message, hint);
        continue;
      }
      seen.set(key, { key: keyNode, value: this.resolve(pair.value) });
    }
    return seen;
  }

  /**
   * The pairs of a mapping with a fixed set of keys, reporting unknown keys with a "did you mean"
   * from `allowed` (or `extraHint` when it has something more specific to say).
   * `where` completes messages: "unknown key `x` in <where>".
   */
  pairs(map: YAMLMap, allowed: readonly string[], where: string, extraHint?: (key: string) => string | undefined): Map<string, Entry> {
    const known = new Map<string, Entry>();
    for (const [key, entry] of this.entries(map, where)) {
      if (allowed.includes(key)) {
        known.set(key, entry);
        continue;
      }
      const guess = didYouMean(key, [...allowed]);
      const hint = extraHint?.(key) ?? (guess ? `did you mean \`${guess}\`?` : `the keys allowed here are ${allowed.map((k) => `\`${k}\``).join(', ')}`);
      this.error(entry.key, `unknown key \`${key}\` in ${where}`, hint);
    }
    return known;
  }

  /** True when nothing (or `~`/`null`) follows the entry's colon. */
  isEmpty(entry: Entry): boolean {
    const v = entry.value;
    return v === null || (isScalar(v) && (v.value === null || v.value === undefined));
  }

  /** Where to point for a problem with an entry's value: the value, or its key when the value is empty. */
  at(entry: Entry): Node {
    return this.isEmpty(entry) ? entry.key : entry.value!;
  }

  /**
   * An entry's value as text (see scalarText); '' for an empty value. Lists and mappings are
   * reported as "`<key>` <where> must be text" and give undefined.
   */
  textValue(entry: Entry, where: string, hint: string): string | undefined {
    const v = entry.value;
    if (v !== null && !isScalar(v)) {
      this.error(v, [`\`${this.scalarText(entry.key)}\``, where, `must be text, found ${this.shape(v)}`].filter(Boolean).join(' '), hint);
      return undefined;
    }
    return (v && this.scalarText(v)) ?? '';
  }

  /** Report a missing required key at the node that should have contained it. */
  missing(at: Node, key: string, where: string, hint: string): void {
    this.error(at, `${where} is missing \`${key}\``, hint);
  }

  /** Name a YAML node's shape for "expected X, found Y" messages. */
  shape(node: Node | null): string {
    if (node === null || (isScalar(node) && (node.value === null || node.value === undefined))) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) return typeof node.value === 'string' ? `the text \`${String(node.value)}\`` : `\`${this.scalarText(node) ?? ''}\``;
    return 'an unexpected value';
  }
}
