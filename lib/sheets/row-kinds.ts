/**
 * Row kinds: what each data row of a table is, so that a sum over a table can leave out what the
 * publisher already summed. `detail` rows are the figures themselves; `total` rows add up the whole
 * table (`Total`, `England`, `Grand total`, a `National` level); `subtotal` rows add up one block of it
 * (a `Total` row closing each provider's block, a `Sub total`, a `Region` level); `derived` rows are
 * computed from other rows in other units (changes, shares; found by layout, see row-roles.ts).
 *
 * A label is read the same way in a workbook and in a streamed CSV, but two things need the whole
 * table: whether `England` is a total or one nation beside Scotland, Wales and Northern Ireland (GP
 * Earnings tables by country), and whether a `Total` label closes one block or many. `TotalsCounter`
 * gathers both over every row while a table is described; the result (`TotalsContext`) is kept in
 * `TableInfo.totals` so that `readTable` gives each row the kind the description counted.
 */
import type { Cell } from './types.ts';
import { isAggregateLevel, type LevelInfo } from './levels.ts';

/** What a data row is. */
export type RowKind = 'detail' | 'total' | 'subtotal' | 'derived';

/** Rows per kind, every kind present (0 when none). */
export type RowKindCounts = Record<RowKind, number>;

/** Zero rows of every kind. */
export function noRows(): RowKindCounts {
  return { detail: 0, total: 0, subtotal: 0, derived: 0 };
}

/** What readTable needs, beyond the row itself, to tell totals from subtotals and details. */
export interface TotalsContext {
  /** Columns (0-based) that list UK nations: there `England` is one nation, not a total. */
  nationColumns?: number[];
  /** Total labels (lower case) that close more than one block of the table: rows with them are subtotals. */
  subtotalLabels?: string[];
}

/** A label that adds up the whole table, whatever else the table holds. */
const GRAND_RE =
  /^(?:grand[ -]?totals?|england|national|all england|all (?:providers|organisations|trusts|regions|gps|practices|patients|registered patients|persons|people|ages))$|^totals?\b.*\b(?:all|england)\b/i;
/** A label that says it adds up a part. */
const SUB_RE = /^sub[ -]?totals?$/i;
/** Any other total label: `Total`, `Totals`, `C_999 Total`, `Provider total`. */
const TOTAL_RE = /^totals?$|\btotals?$/i;
const NATIONS = new Set(['england', 'scotland', 'wales', 'northern ireland']);

type LabelKind = 'grand' | 'total' | 'sub';

/**
 * True when a string may be a total label or a nation, by its first two and its last letters: this
 * runs on every cell of every CSV, and a total label starts like to(tal), su(b), gr(and), en(gland),
 * na(tional) or al(l), or ends with an l or s (…total, …totals); a nation starts en, sc, wa or no.
 */
function mayBeLabel(raw: string): boolean {
  const last = raw.charCodeAt(raw.length - 1) | 0x20;
  if (last === 0x6c || last === 0x73 || last === 0x20 || raw.charCodeAt(0) === 0x20) return true;
  const ab = ((raw.charCodeAt(0) | 0x20) << 8) | (raw.charCodeAt(1) | 0x20);
  // to su gr en na al sc wa no
  return ab === 0x746f || ab === 0x7375 || ab === 0x6772 || ab === 0x656e || ab === 0x6e61 || ab === 0x616c || ab === 0x7363 || ab === 0x7761 || ab === 0x6e6f;
}

/** True when `TotalsCounter.add` would look at this cell at all (a string that `mayBeLabel`). */
export function mayHoldLabel(v: Cell | undefined): boolean {
  return typeof v === 'string' && v.length >= 5 && mayBeLabel(v);
}

/** The kind of total a label names, if any. */
export function totalLabelKind(raw: Cell | undefined): LabelKind | undefined {
  if (typeof raw !== 'string' || raw.length < 5 || !mayBeLabel(raw)) return undefined;
  const t = raw.trim();
  if (SUB_RE.test(t)) return 'sub';
  if (GRAND_RE.test(t)) return 'grand';
  if (TOTAL_RE.test(t)) return 'total';
  return undefined;
}

/** True for a UK nation's name (`England`, `Scotland`, `Wales`, `Northern Ireland`), cheaply rejecting most cells. */
function nationName(raw: Cell | undefined): string | undefined {
  if (typeof raw !== 'string' || raw.length < 5 || raw.length > 20) return undefined;
  const ab = ((raw.charCodeAt(0) | 0x20) << 8) | (raw.charCodeAt(1) | 0x20);
  if (ab !== 0x656e && ab !== 0x7363 && ab !== 0x7761 && ab !== 0x6e6f) return undefined; // en sc wa no
  const t = raw.trim().toLowerCase();
  return NATIONS.has(t) ? t : undefined;
}

/**
 * The kind of one non-derived row: the strongest of what its labels and its hierarchy level say
 * (total over subtotal over detail).
 */
export function rowKindOf(values: readonly (Cell | undefined)[], ctx: TotalsContext | undefined, levels?: LevelInfo): RowKind {
  let kind: RowKind = 'detail';
  for (let i = 0; i < values.length; i++) {
    const k = totalLabelKind(values[i]);
    if (!k) continue;
    if (k === 'grand') {
      // England beside the other nations is a nation, not a total.
      if (ctx?.nationColumns?.includes(i) && nationName(values[i]) === 'england') continue;
      return 'total';
    }
    if (k === 'sub' || ctx?.subtotalLabels?.includes(String(values[i]).trim().toLowerCase())) kind = 'subtotal';
    else return 'total';
  }
  if (levels && isAggregateLevel(levels, values)) {
    const v = String(values[levels.index]).trim();
    return GRAND_RE.test(v) || /^(?:all|total|country)$/i.test(v) ? 'total' : 'subtotal';
  }
  return kind;
}

/**
 * Gathers, over every row of a table, what `rowKindOf` needs from the whole table, and counts the
 * rows of each kind. Rows without any total label are only looked at for nation names; rows with
 * labels are remembered by their labels (one representative per distinct combination), so that
 * they can be counted once the context is known, without keeping the rows.
 */
export class TotalsCounter {
  private nations = new Map<number, Set<string>>();
  private labelRows = new Map<string, number>();
  /** Distinct (labels, level value) combinations of rows that may not be details, with a sparse copy of the row. */
  private groups = new Map<string, { row: Cell[]; n: number }>();
  private plain = 0;

  /** `levelColumns` are the columns a LevelCounter watches: their values decide aggregate levels. */
  constructor(private readonly levelColumns: number[] = []) {}

  add(values: readonly (Cell | undefined)[]): void {
    let key = '';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // One cheap test before the two lookups (this runs on every cell of every CSV).
      if (!mayHoldLabel(v)) continue;
      const nation = nationName(v);
      if (nation) {
        let set = this.nations.get(i);
        if (!set) this.nations.set(i, (set = new Set()));
        set.add(nation);
      }
      const k = totalLabelKind(v);
      if (!k) continue;
      const label = String(v).trim().toLowerCase();
      if (k === 'total') this.labelRows.set(label, (this.labelRows.get(label) ?? 0) + 1);
      key += `${i}\u0000${label}\u0001`;
    }
    // An index loop: for…of would start an iterator on every row, most often over no level column at all.
    for (let j = 0; j < this.levelColumns.length; j++) {
      const i = this.levelColumns[j];
      key += `L${i}\u0000${typeof values[i] === 'string' ? String(values[i]).trim() : ''}\u0001`;
    }
    if (key === '') {
      this.plain++;
      return;
    }
    const g = this.groups.get(key);
    if (g) g.n++;
    else {
      const row: Cell[] = new Array(values.length).fill(null);
      for (let i = 0; i < values.length; i++) if (totalLabelKind(values[i]) || this.levelColumns.includes(i)) row[i] = values[i] ?? null;
      // A level column with many distinct values is no level column; stop telling rows apart by it.
      if (this.groups.size < 10_000) this.groups.set(key, { row, n: 1 });
      else this.plain++;
    }
  }

  /**
   * `add` for a row in which the caller, scanning every cell anyway, found none that `mayHoldLabel`:
   * unless level values key it, such a row is a plain detail row, counted without a second scan.
   */
  addUnlabelled(values: readonly (Cell | undefined)[]): void {
    if (this.levelColumns.length) this.add(values);
    else this.plain++;
  }

  /** The table-wide facts, once every row was added. */
  context(): TotalsContext {
    const nationColumns = [...this.nations].filter(([, s]) => s.has('england') && s.size >= 2).map(([i]) => i);
    const subtotalLabels = [...this.labelRows].filter(([, n]) => n > 1).map(([l]) => l).sort();
    return { ...(nationColumns.length ? { nationColumns } : {}), ...(subtotalLabels.length ? { subtotalLabels } : {}) };
  }

  /** Rows per kind (no derived rows: the caller adds those). */
  counts(ctx: TotalsContext, levels: LevelInfo | undefined): RowKindCounts {
    const out = noRows();
    out.detail = this.plain;
    for (const { row, n } of this.groups.values()) out[rowKindOf(row, ctx, levels)] += n;
    return out;
  }
}
