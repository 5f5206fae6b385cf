/**
 * Hierarchy levels in one table. NHS tables often stack National, Region and organisation rows in one
 * table and say which is which in a `Breakdown`/`Level` column (CCG Outcomes Indicator Set: 12
 * `National` rows above 2,124 `CCG` rows). Summing such a column over all rows counts England twice, so
 * rows of every level but the finest are flagged like totals rows (`isTotal`), and the table records
 * which column carries the level and how many rows each level has.
 *
 * A column is a level column when its header says so (`Breakdown`, `Level`, `Geography`, `Org type` …),
 * it has 2–8 distinct values and one of them names a top level (`National`, `England`, `All`, `Total`,
 * `Country`). The finest (detail) level is the most frequent value: there are always more organisations
 * than regions, and more regions than nations.
 */
import type { Cell } from './types.ts';

/** Headers that name a hierarchy-level column. */
const LEVEL_HEADER_RE = /^(?:breakdown(?: level| type)?|(?:geographic(?:al)? |geography |org(?:anisation)? |organisational )?level|geography(?: type)?|org(?:anisation)? type|area type)$/i;
const TOP_LEVEL_RE = /^(?:national|england|all|total|country|all england)$/i;
/** Counting stops beyond this many distinct values: such a column is not a level column. */
const MAX_LEVELS = 8;

/** The level column of a table, as recorded in `TableInfo.levels`. */
export interface LevelInfo {
  /** Column name (as in `TableInfo.columns[].name`). */
  column: string;
  /** 0-based index into the row values. */
  index: number;
  /** The finest level: its rows are detail rows. */
  detail: string;
  /** Rows per level, every level included. */
  counts: Record<string, number>;
}

/** True when a header names a hierarchy-level column. */
export function isLevelHeader(name: string): boolean {
  return LEVEL_HEADER_RE.test(name.trim());
}

/** Counts the values of the candidate level columns, one row at a time (CSV and workbook alike). */
export class LevelCounter {
  private counts = new Map<number, Map<string, number>>();

  /** `names[i]` is column i's cleaned header; only columns whose header names a level are counted. */
  constructor(private names: string[]) {
    names.forEach((n, i) => {
      if (isLevelHeader(n)) this.counts.set(i, new Map());
    });
  }

  /** Indexes of the watched columns. */
  get columns(): number[] {
    return [...this.counts.keys()];
  }

  /** True when no column could be a level column (callers can skip `add`). */
  get empty(): boolean {
    return this.counts.size === 0;
  }

  add(values: (Cell | undefined)[]): void {
    for (const [i, m] of this.counts) {
      if (m.size > MAX_LEVELS) continue;
      const v = values[i];
      if (typeof v !== 'string' || v.trim() === '') continue;
      const k = v.trim();
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }

  /** The level column, if one qualifies (the first by position when several do). */
  result(): LevelInfo | undefined {
    for (const [i, m] of this.counts) {
      if (m.size < 2 || m.size > MAX_LEVELS || ![...m.keys()].some((k) => TOP_LEVEL_RE.test(k))) continue;
      const sorted = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      return { column: this.names[i], index: i, detail: sorted[0][0], counts: Object.fromEntries(sorted) };
    }
    return undefined;
  }
}

/** True when a row belongs to an aggregate level (anything but the detail level). */
export function isAggregateLevel(levels: LevelInfo | undefined, values: readonly (Cell | undefined)[]): boolean {
  if (!levels) return false;
  const v = values[levels.index];
  return typeof v === 'string' && v.trim() !== '' && v.trim() !== levels.detail;
}
