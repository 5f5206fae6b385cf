/**
 * Which columns an unmerged group label spans. A merged group cell says its span itself; a label
 * without a merge sits in one cell over several leaf columns, and where in its span it sits is a
 * habit of the publisher: in the first column (RTT overview), or typed into the middle one (GP
 * Earnings 1b/7b put each year over the RPI of its GDP/RPI/CPI triple, so the GDP column belongs to
 * the label to its right, not to the one to its left).
 *
 * When the labels of a row repeat at a regular distance d, each is taken to head a block of d
 * columns, and the offset of the label inside its block is found from the leaf row:
 * - blocks whose leaf labels repeat the same sequence (GDP, RPI, CPI) fix the offset;
 * - otherwise, when every label of the row stands at that distance, the first offset whose blocks
 *   all have a leaf under every column and that ends the last block where the leaves end.
 * When neither settles it (labels at irregular distances, blocks that do not tile the leaves), the
 * label carries right as before: the left-aligned reading.
 */
import { cellKey } from './grid.ts';
import type { SheetFacts } from './sheet-facts.ts';
import { cleanHeader } from './values.ts';

/** A label's span: the columns it heads, inclusive. */
export interface LabelSpan {
  /** The label's own column. */
  at: number;
  c0: number;
  c1: number;
}

/**
 * The inferred spans of the unmerged labels of group row `u` (keyed by every column they cover),
 * given the header rows below it and the table's columns `c0..c1`.
 */
export function inferSpans(sheet: SheetFacts, u: number, lower: number[], c0: number, c1: number): Map<number, LabelSpan> {
  const { grid } = sheet;
  const hasChild = (c: number) => lower.some((lr) => sheet.textAt(lr, c) !== undefined || grid.covered.has(cellKey(lr, c)));
  const labels = sheet.cols[u].filter((c) => c >= c0 && c <= c1 && sheet.cell(u, c)!.cls === 'text' && !grid.anchors.has(cellKey(u, c)) && hasChild(c));
  const out = new Map<number, LabelSpan>();
  for (const run of evenRuns(labels)) {
    const d = run[1] - run[0];
    const offset = chooseOffset(sheet, run, d, lower, c0, c1, hasChild, run.length === labels.length);
    if (offset === undefined) continue;
    for (const at of run) {
      const span = { at, c0: at - offset, c1: at - offset + d - 1 };
      for (let c = span.c0; c <= span.c1; c++) out.set(c, span);
    }
  }
  return out;
}

/** Maximal runs (≥ 2 labels) of labels at one regular distance of at least 2 columns. */
function evenRuns(labels: number[]): number[][] {
  const runs: number[][] = [];
  let i = 0;
  while (i < labels.length - 1) {
    const d = labels[i + 1] - labels[i];
    let j = i + 1;
    while (j + 1 < labels.length && labels[j + 1] - labels[j] === d) j++;
    if (d >= 2) runs.push(labels.slice(i, j + 1));
    i = j;
  }
  return runs;
}

function chooseOffset(
  sheet: SheetFacts,
  run: number[],
  d: number,
  lower: number[],
  c0: number,
  c1: number,
  hasChild: (c: number) => boolean,
  wholeRow: boolean,
): number | undefined {
  const leafRow = lower[lower.length - 1];
  const leaf = (c: number) => cleanHeader(sheet.textAt(leafRow, c) ?? '').toLowerCase();
  const valid: number[] = [];
  for (let o = 0; o < d; o++) {
    const first = run[0] - o;
    const last = run[run.length - 1] - o + d - 1;
    if (first < c0 || last > c1) continue;
    let ok = true;
    for (let c = first; c <= last && ok; c++) ok = hasChild(c);
    if (ok) valid.push(o);
  }
  const repeats = (o: number) => {
    const seq = (at: number) => Array.from({ length: d }, (_, k) => leaf(at - o + k)).join('\u0000');
    const s0 = seq(run[0]);
    return new Set(s0.split('\u0000')).size > 1 && run.every((at) => seq(at) === s0);
  };
  const patterned = valid.find(repeats);
  if (patterned !== undefined) return patterned;
  // Without repeated leaves, only a row whose labels all stand at the one distance is read as blocks
  // (RTT overview: groups over 9, 5, 5, 2 and 5 columns, left-aligned, must not be cut into fives);
  // and left-aligned blocks that tile the leaves are what the carry already does.
  if (!wholeRow || valid.includes(0)) return undefined;
  const endsWithLeaves = valid.find((o) => !hasChild(run[run.length - 1] - o + d));
  return endsWithLeaves;
}
