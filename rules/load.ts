/**
 * loaded: canonical manifest + source bytes → PostgreSQL. Every (table, period, source file part) is a
 * slice loaded in its own transaction: replace the slice's rows, COPY the new ones, write its registry
 * row. Slices already loaded from the same bytes under the same contract are skipped (an unchanged period
 * writes 0 rows). The period's registry row (`datawarp.periods`) is the target's record, written last.
 */
import { digestOf, type Rule, type RunContext, type TargetRecord } from '../engine/index.ts';
import { claimPeriod, countSliceRows, deleteSlicesExcept, ensureStagingTable, loadSlice, readLoads, readPeriodRecord, stagingColumns, writePeriodRecord, type LoadRow } from '../lib/db/registry.ts';
import type { ColumnType, Db } from '../lib/db/index.ts';
import { widerType } from '../lib/db/staging.ts';
import { readTableBatches } from '../lib/sheets/index.ts';
import { blobFor } from './blobs.ts';
import type { CanonicalBody, CanonicalTable } from './canonical.ts';
import type { DownloadBody } from './download.ts';
import { readManifest } from './manifest-io.ts';
import { isConfigured, manifestPath, publication, splitId, type Workspace } from './workspace.ts';

const VERSION = '1';

export function loadRule(ws: Workspace): Rule {
  return {
    name: 'loaded',
    version: VERSION,
    recordsIn: 'the database',
    staticInputs: (id) => [`canonical:${id}`, `download:${id}`],
    exists: (id) => isConfigured(ws, id),
    async readRecord(id): Promise<TargetRecord | undefined> {
      const rec = await readPeriodRecord(await ws.db(), ...splitId(id), await ws.identity());
      return rec && { rule: 'loaded', version: rec.ruleVersion, inputs: rec.inputs, output: rec.outputDigest };
    },
    currentOutput: (id) => loadedDigest(ws, ...splitId(id)),
    async run(ctx: RunContext) {
      const [code, period] = splitId(ctx.id);
      const canonicalSha = await ctx.need(`canonical:${ctx.id}`);
      await ctx.need(`download:${ctx.id}`);
      const canonical = await readManifest<CanonicalBody>(manifestPath(ws, 'canonical', code, period));
      const download = await readManifest<DownloadBody>(manifestPath(ws, 'download', code, period));
      if (!canonical || !download) throw new Error(`manifests for ${ctx.id} are missing`);
      const db = await ws.db();
      const me = await ws.identity();
      // Before any write: another workspace sharing the database may already hold this period.
      await db.transaction((tx) => claimPeriod(tx, code, period, me), { signal: ctx.signal });
      const pub = publication(ws, code);
      const periodRef = pub.periods.find((e) => e.period.label === period)!.period;
      const existing = new Map((await readLoads(db, { publication: code, period })).map((l) => [`${l.table}\u0000${l.sourceKey}`, l]));
      let written = 0;
      let skipped = 0;
      for (const t of canonical.body.tables) {
        const sourceKey = `${t.source.url}#${t.source.table_key}`;
        const file = download.body.files.find((f) => f.url === t.source.url);
        if (!file) throw new Error(`${t.source.file} of table ${t.table} is not in the download manifest of ${ctx.id}`);
        const prev = existing.get(`${t.table}\u0000${sourceKey}`);
        if (prev && prev.sourceSha256 === file.sha256 && prev.canonicalSha256 === canonicalSha && prev.ruleVersion === VERSION) {
          skipped++;
          continue;
        }
        const blob = await blobFor(ws, file, ctx.signal);
        const info = (await ws.describe({ path: blob, name: file.name, url: file.url, sha256: file.sha256 }, pub.overrides.includeSheets, ctx.signal)).tables.find(
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
          const types = new Map((await stagingColumns(tx, t.table)).map((c) => [c.name, c.type]));
          refuseNarrowingOverride(t, types);
          const where = { file: file.name, member: t.source.member, sheet: t.source.sheet };
          return loadSlice(tx, slice, {
            batches: readTableBatches({ path: blob, name: file.name, origin: file.url }, info, { signal: ctx.signal }),
            columns: t.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? (c.type as ColumnType), index: c.index, sourceColumn: c.source_column })),
            where,
          });
        }, { signal: ctx.signal });
        written += res.rows;
      }
      const keep = canonical.body.tables.map((t) => ({ table: t.table, sourceKey: `${t.source.url}#${t.source.table_key}` }));
      // Slices this period no longer produces (a table renamed by an override, a file gone from the page).
      await db.transaction((tx) => deleteSlicesExcept(tx, code, period, keep, me), { signal: ctx.signal });
      const loads = await readLoads(db, { publication: code, period });
      const output = sliceDigest(loads);
      const rowCount = loads.reduce((n, l) => n + l.rowCount, 0);
      await db.transaction((tx) =>
        writePeriodRecord(tx, { publication: code, period, canonicalSha256: canonicalSha, ruleVersion: VERSION, inputs: ctx.provenance().inputs, outputDigest: output, rowCount, workspace: me }),
      );
      return {
        output,
        summary: `${written.toLocaleString('en-GB')} rows written${skipped ? `, ${skipped} slice${skipped === 1 ? '' : 's'} unchanged` : ''}; ${rowCount.toLocaleString('en-GB')} rows in ${loads.length} slice${loads.length === 1 ? '' : 's'}`,
        stats: { rowsWritten: written, slicesUnchanged: skipped, rows: rowCount },
      };
    },
  };
}

/**
 * Types only widen, so an override asking for a narrower type than the staging column already has (widened
 * for values loaded before) cannot be honoured: say so instead of loading under a contract the table breaks.
 */
function refuseNarrowingOverride(t: CanonicalTable, types: Map<string, ColumnType>): void {
  for (const c of t.columns) {
    const now = types.get(c.name);
    const wanted = c.type as ColumnType;
    if (!c.overridden || !now || now === wanted || widerType(now, wanted) !== now) continue;
    throw Object.assign(
      new Error(`override sets ${t.table}.${c.name} to ${wanted}, but staging.${t.table}.${c.name} is ${now} because values loaded before needed it; column types never narrow`),
      { hint: `remove the type override from config/publications.yaml, or drop staging."${t.table}" (and its registry rows with \`clean\`) so every period is loaded again under ${wanted}` },
    );
  }
}

/** The loaded target's output: which slices exist with what bytes and how many rows. */
function sliceDigest(loads: LoadRow[]): string {
  const rows = loads
    .map((l) => ({ table: l.table, source: l.sourceKey, sha256: l.sourceSha256, rows: l.rowCount }))
    .sort((a, b) => (a.table + a.source < b.table + b.source ? -1 : 1));
  return digestOf(rows);
}

/** Recomputed from the registry, and undefined when a staging table lost rows behind the registry's back. */
async function loadedDigest(ws: Workspace, code: string, period: string): Promise<string | undefined> {
  const db: Db = await ws.db();
  const loads = await readLoads(db, { publication: code, period });
  const perTable = new Map<string, number>();
  for (const l of loads) perTable.set(l.table, (perTable.get(l.table) ?? 0) + l.rowCount);
  for (const [table, rows] of perTable) {
    try {
      if ((await countSliceRows(db, table, code, period)) !== rows) return undefined;
    } catch {
      return undefined;
    }
  }
  return sliceDigest(loads);
}
