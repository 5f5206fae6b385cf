/**
 * Numbered column families: headers that differ only in their numbers (RTT's weekly bands `>0-1`, `>1-2` …
 * `>103-104`; GP earnings' years `2002/03` … `2022/23`; `2002/03 - GDP`, `2003/04 - GDP` … beside the RPI and CPI
 * ones). A wide table is shown to the model with each family as one entry; its members keep their own names, and
 * each gets the family's description with its own header.
 */

/** At least this many columns make a family: two numbered columns (`Breakdown1`, `Breakdown2`) are just columns. */
export const MIN_FAMILY = 3;

/** A column shown on its own: `c<position>` (1-based). */
export interface Single { id: string; index: number }
/** A family: `f<n>`, its members' positions in the table (0-based, in order), and their shared shape. */
export interface Family { id: string; members: number[]; shape: string }

export interface ColumnEntries { singles: Single[]; families: Family[] }

/** A header with every run of digits made `#`: the shape members of one family share. */
export const shapeOf = (header: string) => header.replace(/\s+/g, ' ').trim().replace(/\d+/g, '#');

/** Splits a table's headers into columns shown alone and families, in order of first appearance. */
export function columnEntries(headers: readonly string[]): ColumnEntries {
  const byShape = new Map<string, number[]>();
  headers.forEach((h, i) => {
    const shape = shapeOf(h);
    if (!shape.includes('#')) return;
    byShape.set(shape, [...(byShape.get(shape) ?? []), i]);
  });
  const familyOf = new Map<number, string>();
  for (const [shape, members] of byShape) if (members.length >= MIN_FAMILY) for (const i of members) familyOf.set(i, shape);
  const singles: Single[] = [];
  const families: Family[] = [];
  headers.forEach((_, i) => {
    const shape = familyOf.get(i);
    if (shape === undefined) singles.push({ id: `c${i + 1}`, index: i });
    else if (byShape.get(shape)![0] === i) families.push({ id: `f${families.length + 1}`, members: byShape.get(shape)!, shape });
  });
  return { singles, families };
}
