/**
 * Numbered column series: headers that differ only in their numbers (RTT's weekly bands `>0-1`, `>1-2` …
 * `>103-104`; GP earnings' years `2002/03` … `2022/23`; `2002/03 - GDP`, `2003/04 - GDP` … beside the RPI and CPI
 * ones). A wide table is shown to the model with each series as one entry; its members keep their own names, and
 * each gets the series' description with its own header.
 */

/** At least this many columns make a series: two numbered columns (`Breakdown1`, `Breakdown2`) are just columns. */
export const MIN_SERIES = 3;

/** A column shown on its own: `c<position>` (1-based). */
export interface Single { id: string; index: number }
/** A series: `s<n>`, its members' positions in the table (0-based, in order), and their shared shape. */
export interface Series { id: string; members: number[]; shape: string }

export interface ColumnEntries { singles: Single[]; series: Series[] }

/** A header with every run of digits made `#`: the shape members of one series share. */
export const shapeOf = (header: string) => header.replace(/\s+/g, ' ').trim().replace(/\d+/g, '#');

/** Splits a table's headers into columns shown alone and series, in order of first appearance. */
export function columnEntries(headers: readonly string[]): ColumnEntries {
  const byShape = new Map<string, number[]>();
  headers.forEach((h, i) => {
    const shape = shapeOf(h);
    if (!shape.includes('#')) return;
    byShape.set(shape, [...(byShape.get(shape) ?? []), i]);
  });
  const seriesOf = new Map<number, string>();
  for (const [shape, members] of byShape) if (members.length >= MIN_SERIES) for (const i of members) seriesOf.set(i, shape);
  const singles: Single[] = [];
  const series: Series[] = [];
  headers.forEach((_, i) => {
    const shape = seriesOf.get(i);
    if (shape === undefined) singles.push({ id: `c${i + 1}`, index: i });
    else if (byShape.get(shape)![0] === i) series.push({ id: `s${series.length + 1}`, members: byShape.get(shape)!, shape });
  });
  return { singles, series };
}
