/**
 * loaded: canonical manifest + source bytes → PostgreSQL. Every (table, period, source file part) is a
 * slice loaded in its own transaction: replace the slice's rows, COPY the new ones, write its registry
 * row. Slices already loaded from the same bytes under the same contract are skipped (an unchanged period
 * writes 0 rows). The period's registry row (`datawarp.periods`) is the target's record, written last.
 */
import { digestOf, type RunContext } from '../../engine/index.ts';
import type { ColumnType } from '../../lib/db/index.ts';
import { PipelineError } from '../../lib/failure.ts';
import { parsePeriod } from '../../lib/periods.ts';
import { blobFor } from '../blobs.ts';
import type { Stage } from '../stage.ts';
import { sliceDigest, type OwnWrite } from '../stores/registry.ts';
import { isConfigured, splitId, type Workspace } from '../workspace.ts';
import type { Db } from '../../lib/db/index.ts';
import type { LoadRow } from '../../lib/db/registry.ts';
import type { CanonicalBody, CanonicalTable } from './canonical.ts';
import { PROVENANCE_COLUMNS } from './table-doc.ts';
import { unpivotRows } from './unpivot.ts';
import type { DownloadBody } from './download.ts';

// 2: each row's kind in _row_kind; annotations taken off values (`r`, `[note 4]`) kept in _markers; COMMENT ON;
//    a slice is compared with the table's load contract, not the whole canonical manifest; periods load in order.
// 3: rows carry `_slice`, their slice's registry id, instead of its publication, source key, file, SHA-256 and sheet.
const VERSION = '3';

export const loaded: Stage = {
  name: 'loaded',
  version: VERSION,
  grain: 'period',
  rule(ws) {
    return {
      name: 'loaded',
      version: VERSION,
      store: {
        recordsIn: 'the database',
        find: (id) => ws.registry.find(id),
        read: async () => undefined,
        orphans: async (q) => (await import('../stores/database-orphans.ts')).databaseOrphans(ws)(q),
      },
      staticInputs: (id) => [`canonical:${id}`, `download:${id}`],
      exists: (id) => isConfigured(ws.rawConfig, id),
      run: (ctx) => load(ws, ctx),
      // Machines sharing a server never load one period at once (./load-lock.ts). The embedded database is one
      // process's at a time (.cache/db.lock): nothing to claim, and opening it stays the first load's own work.
      claim: ws.embedded ? undefined : async (id, opts) => (await import('./load-lock.ts')).claimPeriodLoad(ws, id, opts),
    };
  },
};

async function load(ws: Workspace, ctx: RunContext) {
  try {
    return await loadPeriod(ws, ctx);
  } catch (err) {
    // Part of the period may have been written: the view of the database is no longer known to be right.
    ws.registry.invalidate();
    throw err;
  }
}

async function loadPeriod(ws: Workspace, ctx: RunContext) {
  const [code, period] = splitId(ctx.id);
  // Periods of a publication load in period order, so a table fed by several periods gets its columns in the same
  // order whatever is built first, with any -j (issue 14, hole 2). The previous period's load comes first but is
  // not an input: a change to its rows leaves this period's rows as they are.
  const previous = await ctx.need<string | null>(`config:${ctx.id}#previous`);
  if (previous) await ctx.after(`loaded:${code}/${previous}`);
  const canonical = await ctx.need<CanonicalBody>(`canonical:${ctx.id}`);
  const canonicalSha = ctx.digestOf(`canonical:${ctx.id}`);
  const download = await ctx.need<DownloadBody>(`download:${ctx.id}`);
  const includeSheets = await ctx.need<string[]>(`config:${code}#include_sheets`);
  const { claimPeriod, createSliceIndex, deleteSlicesExcept, ensureStagingTable, loadSlice, readLoads, stagingColumns, widerType, writePeriodRecord } = await import('../../lib/db/registry.ts');
  const { lockedToken } = await import('../../lib/db/changes.ts');
  const { readTableBatches } = await import('../../lib/sheets/index.ts');
  const db = await ws.db();
  const me = await ws.identity();
  // Before any write: another workspace sharing the database may already hold this period.
  await db.transaction((tx) => claimPeriod(tx, code, period, me), { signal: ctx.signal });
  const periodRef = parsePeriod(period)!;
  const loadsBefore = await readLoads(db, { publication: code, period });
  const existing = new Map(loadsBefore.map((l) => [`${l.table}\u0000${l.sourceKey}`, l]));
  // A slice counts as loaded only if its table still holds the period's rows (not dropped or emptied behind our back).
  const intact = await ws.registry.intactTables(ctx.id, loadsBefore);
  const writes: OwnWrite[] = [];
  let written = 0;
  let skipped = 0;
  for (const t of canonical.tables) {
    const sourceKey = `${t.source.url}#${t.source.table_key}`;
    const file = download.files.find((f) => f.url === t.source.url);
    if (!file) throw new Error(`${t.source.file} of table ${t.table} is not in the download manifest of ${ctx.id}`);
    const prev = existing.get(`${t.table}\u0000${sourceKey}`);
    const contract = loadContract(t);
    if (prev && prev.sourceSha256 === file.sha256 && prev.canonicalSha256 === contract && prev.ruleVersion === VERSION && intact.has(t.table)) {
      skipped++;
      continue;
    }
    const blob = await blobFor(ws, file, ctx.signal);
    const info = (await ws.describe({ path: blob, name: file.name, url: file.url, sha256: file.sha256 }, includeSheets, ctx.signal)).tables.find(
      (x) => x.key === t.source.table_key,
    );
    if (!info) throw new Error(`table ${t.source.table_key || '(the CSV)'} is no longer found in ${file.name}`);
    ctx.log(`loading ${t.table} from ${file.name}${t.source.sheet !== undefined ? ` / ${t.source.sheet}` : ''}`);
    const slice = {
      table: t.table,
      publication: code,
      period: { label: periodRef.label, start: periodRef.start, end: periodRef.end },
      sourceKey,
      sourceUrl: file.url,
      sourceFile: file.name,
      sourceSha256: file.sha256,
      sheet: t.source.sheet ?? null,
      canonicalSha256: contract,
      ruleVersion: VERSION,
      workspace: me,
    };
    const res = await db.transaction(async (tx) => {
      // On PGlite (one thread for the database and us), a table made in this transaction gets its slice index once
      // its first rows are in: one sort instead of an index insertion per row, 15 % of the first load of 1M rows. A
      // server maintains the index on its own core while we encode the next batch: there, building it after costs
      // ~4 % more.
      const later = ws.embedded;
      const made = await ensureStagingTable(tx, t.table, code, t.columns.map((c) => ({ name: c.name, type: c.type as ColumnType })), me, { sliceIndexLater: later });
      const before = await lockedToken(tx, t.table);
      const types = new Map((await stagingColumns(tx, t.table)).map((c) => [c.name, c.type]));
      refuseNarrowingOverride(t, types, widerType);
      const where = { file: file.name, member: t.source.member, sheet: t.source.sheet };
      const rows = readTableBatches({ path: blob, name: file.name, origin: file.url }, info, { signal: ctx.signal });
      const keyed = t.family ? withKey(rows, info.columns.length, t.family.key) : rows;
      const copied = await loadSlice(tx, slice, {
        batches: t.unpivot ? unpivotRows(keyed, t.unpivot) : keyed,
        // A worker thread may read the file itself only when the rows are the file's as read (no family key, no unpivot).
        ...(t.family || t.unpivot ? {} : { read: { file: { path: blob, name: file.name, origin: file.url }, table: info } }),
        columns: t.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? (c.type as ColumnType), index: c.index, sourceColumn: c.source_column })),
        where,
        onRows: (n) => ctx.log(`${t.table}: ${n.toLocaleString('en-GB')} rows so far`, 'progress'),
      });
      if (made.created && later) await createSliceIndex(tx, t.table);
      writes.push({ table: t.table, before, after: await lockedToken(tx, t.table) });
      return copied;
    }, { signal: ctx.signal });
    written += res.rows;
  }
  const keep = canonical.tables.map((t) => ({ table: t.table, sourceKey: `${t.source.url}#${t.source.table_key}` }));
  // Slices this period no longer produces (a table renamed by an override, a file gone from the page).
  await db.transaction((tx) => deleteSlicesExcept(tx, code, period, keep, me), { signal: ctx.signal });
  await describeTables(db, canonical, period, readLoads);
  const loads = await readLoads(db, { publication: code, period });
  const output = sliceDigest(loads);
  const rowCount = loads.reduce((n, l) => n + l.rowCount, 0);
  await db.transaction((tx) =>
    writePeriodRecord(tx, { publication: code, period, canonicalSha256: canonicalSha, ruleVersion: VERSION, inputs: ctx.provenance().inputs, outputDigest: output, rowCount, workspace: me }),
  );
  await ws.registry.refreshPeriod(code, period, writes);
  return {
    output,
    summary: `${written.toLocaleString('en-GB')} rows written${skipped ? `, ${skipped} slice${skipped === 1 ? '' : 's'} unchanged` : ''}; ${rowCount.toLocaleString('en-GB')} rows in ${loads.length} slice${loads.length === 1 ? '' : 's'}`,
    stats: { rowsWritten: written, slicesUnchanged: skipped, rows: rowCount },
  };
}

/** A family member's rows with its key after their published values (its column's index is past them). */
async function* withKey<R extends { values: unknown[] }>(batches: AsyncIterable<R[]>, index: number, key: string): AsyncGenerator<R[]> {
  for await (const batch of batches) {
    for (const r of batch) r.values[index] = key;
    yield batch;
  }
}

/**
 * What a slice's rows depend on in the canonical manifest: the table's name, and each column's name, type and place
 * in the source. A new description (or anything else the rows do not depend on) reloads nothing; a `rename` that
 * renames a table in the database records the contract of its new name, so nothing reloads either.
 */
export function loadContract(t: CanonicalTable): string {
  return digestOf({
    table: t.table,
    source: t.source.table_key,
    columns: t.columns.map((c) => [c.name, c.type, c.index, c.source_column]),
    ...(t.family ? { family: t.family } : {}),
    ...(t.unpivot ? { unpivot: t.unpivot } : {}),
  });
}

/**
 * The database's own description of each table (`COMMENT ON`, what `\d+` in psql and every client shows), from the
 * newest period loaded into it: a period loaded after a newer one leaves the newer one's words.
 */
async function describeTables(db: Db, canonical: CanonicalBody, period: string, readLoads: (db: Db, f: { table: string }) => Promise<LoadRow[]>) {
  const { commentOnTable } = await import('../../lib/db/comments.ts');
  const { comparePeriodLabels } = await import('../../lib/periods.ts');
  // The Parquet provenance columns a staging row carries (the others are its slice's, in datawarp.slices), and _slice.
  const provenance = [...PROVENANCE_COLUMNS.map(({ name, description }) => ({ name, description })), SLICE_COLUMN_DOC];
  for (const t of canonical.tables) {
    const newer = (await readLoads(db, { table: t.table })).some((l) => comparePeriodLabels(l.period, period) > 0);
    if (!newer) await commentOnTable(db, t.table, t.description, [...provenance, ...t.columns]);
  }
}

/** What `_slice` is, for the database's comment on it (Parquet files have no `_slice`: they carry the slice's columns). */
const SLICE_COLUMN_DOC = {
  name: '_slice',
  description:
    'Id of the slice (one source file part loaded for one period) the row came from: JOIN datawarp.slices s ON s.slice_id = t._slice gives its publication, source key, URL, file, SHA-256 and sheet.',
};

/**
 * Types only widen, so an override asking for a narrower type than the staging column already has (widened
 * for values loaded before) cannot be honoured: say so instead of loading under a contract the table breaks.
 */
function refuseNarrowingOverride(t: CanonicalTable, types: Map<string, ColumnType>, widerType: (a: ColumnType, b: ColumnType) => ColumnType): void {
  for (const c of t.columns) {
    const now = types.get(c.name);
    const wanted = c.type as ColumnType;
    if (!c.overridden || !now || now === wanted || widerType(now, wanted) !== now) continue;
    throw new PipelineError({
      kind: 'input',
      message: `override sets ${t.table}.${c.name} to ${wanted}, but staging.${t.table}.${c.name} is ${now} because values loaded before needed it; column types never narrow`,
      hint: `remove the type override from config/publications.yaml, or drop staging."${t.table}" (and its registry rows with \`clean\`) so every period is loaded again under ${wanted}`,
    });
  }
}
