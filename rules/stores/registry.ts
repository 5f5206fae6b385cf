/**
 * What the database holds for this workspace, read in bulk: the period records of the `loaded` stage, the
 * slices (`datawarp.loads`), and how many rows each staging table holds per period. One build reads it at
 * most once (three queries, plus a count of each table changed since it was last counted), instead of a
 * query per target.
 *
 * The embedded database is not even opened when nothing changed: after a build the view is kept in the build
 * log under a fingerprint of the `.pglite` folder (every file's size, mtime, ctime and inode). Any change
 * made to that database since, by anyone (a `sql` session, another tool, a restore, a new empty folder),
 * changes a file there, so the fingerprint differs and the view is read from the database again. A server
 * cannot be fingerprinted from outside: its records are always read (they are small), and only its tables'
 * row counts are kept, valid while each table's change token and identity are unchanged (lib/db/changes.ts).
 */
import { digestOf, type Digest, type Found, type TargetRecord } from '../../engine/index.ts';
import type { LoadRow } from '../../lib/db/registry.ts';
import type { Workspace } from '../workspace.ts';
import { pgliteFingerprint, REGISTRY_VIEW } from './pglite-state.ts';

interface PeriodEntry { version: string; inputs: Record<string, string>; output: string; rows: number; loadedAt: string }
interface TableCount { identity: string; token: string | null; rows: Record<string, number> }

export interface RegistryData {
  /** This workspace's period records, by `pub/period`. */
  periods: Record<string, PeriodEntry>;
  /** This workspace's slices, in registry order. */
  loads: LoadRow[];
  /** Staging tables' rows per `pub/period`, with the table's state when counted. */
  counts: Record<string, TableCount>;
}

/** A write this build made to a staging table: its change token before and after (see lib/db/changes.ts). */
export interface OwnWrite { table: string; before: string | null; after: string | null }

const COUNTS = 'registry-counts';

export class RegistryView {
  #data: Promise<RegistryData> | undefined;
  /** True when the view was taken from a log that no longer matches the database (a reader beside a build). */
  stale = false;
  #invalid = false;
  /** Our writes not yet placed in the counts (see #applyWrites). */
  #parked: (OwnWrite & { id: string })[] = [];
  /** Our writes may have changed a table's identity (checked in settle()). */
  #rewritten = false;

  constructor(private readonly ws: Workspace) {}

  /** The slices by `pub/period` and by `pub/table`, built once per version of the slice list. */
  #index: { of: LoadRow[]; byPeriod: Map<string, LoadRow[]>; byTable: Map<string, LoadRow[]> } | undefined;
  #indexed(d: RegistryData) {
    if (this.#index?.of !== d.loads) {
      const byPeriod = new Map<string, LoadRow[]>();
      const byTable = new Map<string, LoadRow[]>();
      for (const l of d.loads) {
        const p = `${l.publication}/${l.period}`;
        const t = `${l.publication}/${l.table}`;
        (byPeriod.get(p) ?? byPeriod.set(p, []).get(p)!).push(l);
        (byTable.get(t) ?? byTable.set(t, []).get(t)!).push(l);
      }
      this.#index = { of: d.loads, byPeriod, byTable };
    }
    return this.#index;
  }

  /** The view, loaded on first use. */
  data(): Promise<RegistryData> {
    return (this.#data ??= this.#load());
  }

  /** The `loaded` record of `pub/period` and its current output (undefined when the staging rows disagree with it). */
  async find(id: string): Promise<Found | undefined> {
    const d = await this.data();
    const p = d.periods[id];
    if (!p) return undefined;
    const loads = this.#indexed(d).byPeriod.get(id) ?? [];
    if (this.#parked.length && this.#parked.some((w) => loads.some((l) => l.table === w.table))) await this.settle(loads.map((l) => l.table));
    const record: TargetRecord = { rule: 'loaded', version: p.version, inputs: p.inputs, output: p.output };
    return { record, current: currentOutput(d, id, this.#indexed(d).byPeriod.get(id) ?? []) };
  }

  /** Tables whose staging rows of period `id` are the ones `loads` (the registry's slices of it) describe. */
  async intactTables(id: string, loads: LoadRow[]): Promise<Set<string>> {
    const d = await this.data();
    const tables = [...new Set(loads.map((l) => l.table))];
    if (this.#parked.some((w) => tables.includes(w.table))) await this.settle(tables);
    const uncounted = tables.filter((t) => !d.counts[t]);
    if (uncounted.length) {
      // Tables this workspace has not claimed yet (loaded before workspace ids): count them now.
      const db = await this.ws.db();
      const { rowsPerPeriod, tableStates } = await import('../../lib/db/changes.ts');
      const states = await tableStates(db);
      for (const t of uncounted) {
        const state = states.get(t);
        if (state) d.counts[t] = { ...state, rows: await rowsPerPeriod(db, t) };
      }
    }
    return new Set(tables.filter((t) => d.counts[t]?.rows[id] === loads.filter((l) => l.table === t).reduce((n, l) => n + l.rowCount, 0)));
  }

  /** Slices, optionally of one publication, table or period. */
  async loads(filter: { publication?: string; table?: string; period?: string } = {}): Promise<LoadRow[]> {
    const d = await this.data();
    if (filter.publication !== undefined && filter.table !== undefined && filter.period === undefined) return this.#indexed(d).byTable.get(`${filter.publication}/${filter.table}`) ?? [];
    if (filter.publication !== undefined && filter.period !== undefined && filter.table === undefined) return this.#indexed(d).byPeriod.get(`${filter.publication}/${filter.period}`) ?? [];
    return d.loads.filter(
      (l) => (filter.publication === undefined || l.publication === filter.publication) && (filter.table === undefined || l.table === filter.table) && (filter.period === undefined || l.period === filter.period),
    );
  }

  /** After this build loaded `pub/period`: its record and slices as written, and the counts its writes leave. */
  async refreshPeriod(publication: string, period: string, writes: OwnWrite[]): Promise<void> {
    const d = await this.data();
    const db = await this.ws.db();
    const { readLoads, readPeriodRecord } = await import('../../lib/db/registry.ts');
    const id = `${publication}/${period}`;
    const rec = await readPeriodRecord(db, publication, period, await this.ws.identity());
    if (rec) d.periods[id] = { version: rec.ruleVersion, inputs: rec.inputs, output: rec.outputDigest, rows: rec.rowCount, loadedAt: rec.loadedAt };
    else delete d.periods[id];
    const fresh = await readLoads(db, { publication, period });
    d.loads = [...d.loads.filter((l) => !(l.publication === publication && l.period === period)), ...fresh].sort(byRegistryOrder);
    for (const w of writes) this.#parked.push({ ...w, id });
    this.#applyWrites(d);
    if (writes.length) this.#rewritten = true;
  }

  /**
   * Our own writes, applied to the counts in the order their transactions ran: each write's `before` is the
   * token the previous one left, so writes can be replayed whatever order their periods report them in. A
   * write whose predecessor is not (yet) known stays parked.
   */
  #applyWrites(d: RegistryData): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (const w of [...this.#parked]) {
        const entry = d.counts[w.table];
        if (entry ? entry.token !== w.before : w.before !== null) continue;
        const rows = d.loads.filter((l) => l.table === w.table && `${l.publication}/${l.period}` === w.id).reduce((n, l) => n + l.rowCount, 0);
        d.counts[w.table] = { identity: entry?.identity ?? '', token: w.after, rows: { ...(entry?.rows ?? {}), [w.id]: rows } };
        this.#parked.splice(this.#parked.indexOf(w), 1);
        progress = true;
      }
    }
  }

  /**
   * Makes the counts of `tables` (default: every table with a parked write) true now: a table whose parked
   * writes cannot be replayed (someone else wrote in between) is counted again. Call with the database open.
   */
  async settle(tables?: string[]): Promise<void> {
    if (!this.#data || this.#invalid) return;
    const d = await this.#data;
    const which = new Set(tables ?? this.#parked.map((w) => w.table));
    if (![...which].some((t) => this.#parked.some((w) => w.table === t)) && !this.#rewritten) return;
    const db = await this.ws.db();
    const { rowsPerPeriod, tableStates } = await import('../../lib/db/changes.ts');
    const states = await tableStates(db);
    for (const table of which) {
      if (!this.#parked.some((w) => w.table === table)) continue;
      const state = states.get(table);
      const current = d.counts[table];
      // Every parked write has committed: counts taken at the table's present token already include them.
      const fresh = state && current && current.token === state.token;
      if (!fresh) {
        if (state) d.counts[table] = { ...state, rows: await rowsPerPeriod(db, table) };
        else delete d.counts[table];
      }
      this.#parked = this.#parked.filter((w) => w.table !== table);
    }
    // Our writes can rewrite a table (a widened column): same rows, new storage. Keep what we counted.
    for (const [table, entry] of Object.entries(d.counts)) {
      const state = states.get(table);
      if (state && entry.token === state.token) entry.identity = state.identity;
    }
    this.#rewritten = false;
  }

  /** Something else rewrote the database (`clean --execute`): read it again next time, keep nothing. */
  invalidate(): void {
    this.#invalid = true;
    this.#data = undefined;
    this.ws.log.forgetNamed(REGISTRY_VIEW);
  }

  /**
   * Keeps the view in the build log for the next build; call after the database was closed. With the embedded
   * database still open (`watch` between cycles) it is kept under no fingerprint: a reader that cannot open the
   * database shows it as of that moment, and nothing takes it for proof that the database is unchanged.
   */
  async persist(opts: { stillOpen?: boolean } = {}): Promise<void> {
    if (!this.#data || this.#invalid || this.stale) return;
    const d = await this.#data.catch(() => undefined);
    if (!d) return;
    if (this.ws.embedded) {
      if (opts.stillOpen) this.ws.log.setNamed(REGISTRY_VIEW, 'database-open', d);
      else if (this.ws.dbOpened) this.ws.log.setNamed(REGISTRY_VIEW, pgliteFingerprint(this.ws.paths.pglite), d);
    } else {
      this.ws.log.setNamed(COUNTS, 'v1', d.counts);
    }
  }

  async #load(): Promise<RegistryData> {
    if (!this.ws.embedded || this.ws.dbOpened) return this.#read();
    const cached = this.ws.log.named<RegistryData>(REGISTRY_VIEW, pgliteFingerprint(this.ws.paths.pglite));
    if (cached) return cached;
    try {
      return await this.#read();
    } catch (err) {
      // Another process (a build) has the database open: show what the log last knew rather than wait for it.
      const last = this.ws.dbBusy && this.ws.log.namedAny<RegistryData>(REGISTRY_VIEW);
      if (!last) throw err;
      this.stale = true;
      return last;
    }
  }

  async #read(): Promise<RegistryData> {
    const db = await this.ws.db();
    const me = await this.ws.identity();
    const { readLoads } = await import('../../lib/db/registry.ts');
    const { readPeriodRecords } = await import('../../lib/db/records.ts');
    const { rowsPerPeriod, tableStates } = await import('../../lib/db/changes.ts');
    const records = await readPeriodRecords(db, me);
    const loads = await readLoads(db, { workspace: me });
    // States first, then counts: a change committed in between shows as a new token next time.
    const states = await tableStates(db);
    const known = (this.ws.embedded ? undefined : this.ws.log.named<Record<string, TableCount>>(COUNTS, 'v1')) ?? {};
    const counts: Record<string, TableCount> = {};
    for (const table of new Set(loads.map((l) => l.table))) {
      const state = states.get(table);
      if (!state) continue; // dropped: its periods' outputs are missing
      const k = known[table];
      counts[table] = k && k.identity === state.identity && k.token === state.token ? k : { ...state, rows: await rowsPerPeriod(db, table) };
    }
    const periods: Record<string, PeriodEntry> = {};
    for (const [id, r] of records) periods[id] = { version: r.ruleVersion, inputs: r.inputs, output: r.outputDigest, rows: r.rowCount, loadedAt: r.loadedAt };
    return { periods, loads, counts };
  }
}

const byRegistryOrder = (a: LoadRow, b: LoadRow) => {
  const ka = `${a.table}\u0000${a.publication}\u0000${a.period}\u0000${a.sourceKey}`;
  const kb = `${b.table}\u0000${b.publication}\u0000${b.period}\u0000${b.sourceKey}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** The loaded target's output: which slices exist with what bytes and how many rows. */
export function sliceDigest(loads: LoadRow[]): Digest {
  const rows = loads
    .map((l) => ({ table: l.table, source: l.sourceKey, sha256: l.sourceSha256, rows: l.rowCount }))
    .sort((a, b) => (a.table + a.source < b.table + b.source ? -1 : 1));
  return digestOf(rows);
}

/** The slices of a period as the registry lists them, or undefined when a staging table lost (or gained) rows behind its back. */
function currentOutput(d: RegistryData, id: string, loads: LoadRow[]): Digest | undefined {
  const perTable = new Map<string, number>();
  for (const l of loads) perTable.set(l.table, (perTable.get(l.table) ?? 0) + l.rowCount);
  for (const [table, rows] of perTable) {
    if ((d.counts[table]?.rows[id] ?? -1) !== rows) return undefined;
  }
  return sliceDigest(loads);
}
