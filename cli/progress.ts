/**
 * What a build has done so far, as the reporters tell it: per group (a publication, or `tables`) and overall,
 * targets settled of targets planned, what is running and for how long, the latest progress line of each
 * running target (bytes, rows), and each group's totals for the closing table. It only counts; it prints nothing.
 */
import type { BuildEvent, Outcome } from '../engine/index.ts';
import { splitKey } from '../engine/rule.ts';

export interface GroupTally {
  /** Targets planned (period targets are known up front; tables and the catalog are counted as they appear). */
  total: number;
  done: number;
  counts: Partial<Record<Outcome, number>>;
  /** Time the group's targets held a slot, summed. */
  ms: number;
  failed: string[];
}

/** `loaded:oaps/2016-10` → `oaps`; tables, parquet and the catalog → `tables`. */
export function groupOf(key: string): string {
  const { rule, id } = splitKey(key);
  return rule === 'catalog' || rule === 'parquet' || !id.includes('/') ? 'tables' : id.split('/')[0];
}

export class Progress {
  readonly groups = new Map<string, GroupTally>();
  readonly running = new Map<string, { since: number; progress?: string }>();
  readonly #seen = new Set<string>();

  /** `planned`: targets per group known before the build starts. */
  constructor(planned: Record<string, number>, private readonly clock: () => number = Date.now) {
    for (const [g, n] of Object.entries(planned)) this.#group(g).total = n;
  }

  event(e: BuildEvent): void {
    const g = this.#group(groupOf(e.key));
    if (!this.#seen.has(e.key)) {
      this.#seen.add(e.key);
      // A target no plan counted (a table, the catalog) makes the total grow as it appears.
      if (g.done + this.#runningIn(groupOf(e.key)) >= g.total) g.total++;
    }
    if (e.type === 'target-start') this.running.set(e.key, { since: this.clock() });
    else if (e.type === 'target-log' && e.level === 'progress') {
      const r = this.running.get(e.key);
      if (r) r.progress = e.message;
    } else if (e.type === 'target-end') {
      this.running.delete(e.key);
      g.done++;
      g.total = Math.max(g.total, g.done);
      g.counts[e.outcome] = (g.counts[e.outcome] ?? 0) + 1;
      g.ms += e.ms ?? 0;
      if (e.outcome === 'failed') g.failed.push(e.key);
    }
  }

  /** `[3/10]` for one group. */
  tag(group: string): string {
    const g = this.groups.get(group);
    return g ? `[${g.done}/${g.total}]` : '';
  }

  /** `[13/24]` over every group. */
  overall(): string {
    let done = 0;
    let total = 0;
    for (const g of this.groups.values()) {
      done += g.done;
      total += g.total;
    }
    return `[${done}/${total}]`;
  }

  /** What runs now: `download oaps/2016-12 12 s (640.0 KiB of 1.5 MiB (42%), 64.0 KiB/s, about 14 s left)`, longest first. */
  now(label: (key: string) => string): string[] {
    const t = this.clock();
    return [...this.running]
      .sort((a, b) => a[1].since - b[1].since)
      .map(([key, r]) => `${label(key)} ${seconds(t - r.since)}${r.progress ? ` (${r.progress})` : ''}`);
  }

  #runningIn(group: string): number {
    let n = 0;
    for (const k of this.running.keys()) if (groupOf(k) === group) n++;
    return n;
  }

  #group(name: string): GroupTally {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { total: 0, done: 0, counts: {}, ms: 0, failed: [] }));
    return g;
  }
}

export function seconds(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
