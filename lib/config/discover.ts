/**
 * `discover:` of a publication: which editions `pipeline.ts discover` leaves out of its proposals.
 *
 * ```yaml
 *     discover:
 *       since: 2024-04            # only periods starting on or after April 2024 (default: the first configured period)
 *       exclude: [2024-12]        # never propose these
 * ```
 */
import { isScalar, type Node } from 'yaml';
import { describePeriodSyntax, parsePeriod, type Period } from '../periods.ts';
import type { Entry, Reader } from './reader.ts';
import type { DiscoverSettings } from './types.ts';

const KEYS = ['since', 'exclude'] as const;
const EXAMPLE = 'discover:\n  since: 2024-04\n  exclude: [2024-12]';

/** The settings; undefined when absent, null when wrong (reported). */
export function readDiscover(r: Reader, entry: Entry | undefined, where: string): DiscoverSettings | null | undefined {
  if (!entry) return undefined;
  if (r.isEmpty(entry) || !r.isMap(entry.value)) {
    r.error(r.at(entry), `\`discover\` of ${where} must be a mapping, found ${r.shape(entry.value)}`, `write, for example:\n${EXAMPLE}`);
    return null;
  }
  const keys = r.pairs(entry.value, KEYS, `\`discover\` of ${where}`);
  let failed = false;
  let since: Period | undefined;
  const sinceEntry = keys.get('since');
  if (sinceEntry) {
    since = label(r, r.at(sinceEntry), r.textValue(sinceEntry, `of \`discover\` of ${where}`, describePeriodSyntax()) ?? '', '`since`');
    failed ||= since === undefined;
  }
  const exclude: string[] = [];
  const excludeEntry = keys.get('exclude');
  if (excludeEntry && !r.isEmpty(excludeEntry)) {
    const v = excludeEntry.value!;
    const items = r.isSeq(v) ? v.items.map((x) => r.resolve(x) ?? v) : [v];
    for (const node of items) {
      const text = isScalar(node) ? r.scalarText(node) : undefined;
      const p = label(r, node, text ?? '', 'a period in `exclude`');
      if (p) exclude.push(p.label);
      else failed = true;
    }
  }
  return failed ? null : { exclude, ...(since ? { since } : {}) };
}

function label(r: Reader, node: Node, text: string, what: string): Period | undefined {
  const p = parsePeriod(text.trim());
  if (!p) r.error(node, `${what} must be a period label, found \`${text}\``, describePeriodSyntax());
  return p;
}
