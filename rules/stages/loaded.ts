/**
 * loaded: canonical manifest + source bytes → PostgreSQL. Every (table, period, source file part) is a
 * slice loaded in its own transaction: replace the slice's rows, COPY the new ones, write its registry
 * row. Slices already loaded from the same bytes under the same contract are skipped (an unchanged period
 * writes 0 rows). The period's registry row (`datawarp.periods`) is the target's record, written last.
 */
import type { RunContext } from '../../engine/index.ts';
import type { ColumnType } from '../../lib/db/index.ts';
import { PipelineError } from '../../lib/failure.ts';
import { parsePeriod } from '../../lib/periods.ts';
import { blobFor } from '../blobs.ts';
import type { Stage } from '../stage.ts';
import { sliceDigest, type OwnWrite } from '../stores/registry.ts';
import { isConfigured, splitId, type Workspace } from '../workspace.ts';
import type { CanonicalBody, CanonicalTable } from './canonical.ts';
import type { DownloadBody } from './download.ts';

// 2: each row's kind in _row_kind; annotations taken off values (`r`, `[note 4]`) kept in _markers.
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
  const canonical = await ctx.need<CanonicalBody>(`canonical:${ctx.id}`);
  const canonicalSha = ctx.digestOf(`canonical:${ctx.id}`);
  const download = await ctx.need<DownloadBody>(`download:${ctx.id}`);
  const includeSheets = await ctx.need<string[]>(`config:${code}#include_sheets`);
  const { claimPeriod, deleteSlicesExcept, ensureStagingTable, loadSlice, readLoads, stagingColumns, widerType, writePeriodRecord } = await import('../../lib/db/registry.ts');
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
    if (prev && prev.sourceSha256 === file.sha256 && prev.canonicalSha256 === canonicalSha && prev.ruleVersion === VERSION && intact.has(t.table)) {
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
      canonicalSha256: canonicalSha,
      ruleVersion: VERSION,
      workspace: me,
    };
    const res = await db.transaction(async (tx) => {
      await ensureStagingTable(tx, t.table, code, t.columns.map((c) => ({ name: c.name, type: c.type as ColumnType })), me);
      const before = await lockedToken(tx, t.table);
      const types = new Map((await stagingColumns(tx, t.table)).map((c) => [c.name, c.type]));
      refuseNarrowingOverride(t, types, widerType);
      const where = { file: file.name, member: t.source.member, sheet: t.source.sheet };
      const copied = await loadSlice(tx, slice, {
        batches: readTableBatches({ path: blob, name: file.name, origin: file.url }, info, { signal: ctx.signal }),
        read: { file: { path: blob, name: file.name, origin: file.url }, table: info },
        columns: t.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? (c.type as ColumnType), index: c.index, sourceColumn: c.source_column })),
        where,
      });
      writes.push({ table: t.table, before, after: await lockedToken(tx, t.table) });
      return copied;
    }, { signal: ctx.signal });
    written += res.rows;
  }
  const keep = canonical.tables.map((t) => ({ table: t.table, sourceKey: `${t.source.url}#${t.source.table_key}` }));
  // Slices this period no longer produces (a table renamed by an override, a file gone from the page).
  await db.transaction((tx) => deleteSlicesExcept(tx, code, period, keep, me), { signal: ctx.signal });
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
