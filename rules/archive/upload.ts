/**
 * `archive`: each built period's manifests, its rows (one Parquet slice per table, see lib/archive/slice.ts) and,
 * with `--sources`, its downloaded files, to object storage:
 *
 * ```
 * <prefix>/objects/sha256/<aa>/<sha256>     every file, stored once by content (lib/remote/content.ts)
 * <prefix>/<pub>/<period>/manifest.json     the period: each object's name, role and SHA-256, its registry rows
 * <prefix>/catalog/catalog_YYYYMMDD.parquet the catalog as it was that day
 * ```
 *
 * An object already in the bucket is not sent again, and `manifest.json` is written last: a second run uploads
 * nothing, an interrupted one resumes with what is missing, and a period counts as archived only once its manifest
 * is there (then its local record, rules/archive/record.ts, is written).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetRecord } from '../../engine/index.ts';
import { hashFile } from '../../lib/atomic.ts';
import { parsePeriod } from '../../lib/periods.ts';
import type { PeriodRegistry } from '../../lib/db/period-registry.ts';
import type { Remote } from '../../lib/remote/s3.ts';
import { putContent, sha256Of } from '../../lib/remote/content.ts';
import { stageRules } from '../build.ts';
import type { Stage } from '../stage.ts';
import type { DownloadBody } from '../stages/download.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { splitId, type Workspace } from '../workspace.ts';
import { readRecord, RECORD_FORMAT, writeRecord } from './record.ts';

export const MANIFEST_FORMAT = 'nhs-pipeline/archive@1';

/** One file of an archived period. */
export interface ArchivedObject {
  name: string;
  role: 'manifest' | 'parquet' | 'source';
  sha256: string;
  size: number;
  stage?: string;
  table?: string;
  rows?: number;
  url?: string;
}

/** `<pub>/<period>/manifest.json`. */
export interface ArchiveManifest {
  format: typeof MANIFEST_FORMAT;
  publication: string;
  period: string;
  archived_at: string;
  workspace_id: string;
  /** The `loaded` target's record: what the rows were built from. */
  loaded: TargetRecord;
  registry: PeriodRegistry;
  objects: ArchivedObject[];
}

export const manifestKey = (id: string) => `${id}/manifest.json`;

/** What archiving one period did. */
export interface PeriodArchived { id: string; outcome: 'archived' | 'up-to-date'; uploaded: number; objects: number; bytes: number }

/**
 * Archives `pub/period` (built through `loaded`; the caller checked) unless the archive already holds its current
 * rows (and sources when asked).
 */
export async function archivePeriod(ws: Workspace, stages: readonly Stage[], remote: Remote, id: string, opts: { sources: boolean; signal: AbortSignal }): Promise<PeriodArchived> {
  const rules = stageRules(ws, stages);
  const loaded = (await rules.find((r) => r.name === 'loaded')!.store.find(id))!;
  const known = await readRecord(ws, id);
  if (known && known.remote === remote.url && known.loaded_output === loaded.record.output && (known.sources || !opts.sources) && (await remote.head(manifestKey(id)))) {
    return { id, outcome: 'up-to-date', uploaded: 0, objects: known.objects, bytes: known.bytes };
  }
  const [pub, period] = splitId(id);
  const db = await ws.db();
  const me = await ws.identity();
  const { readPeriodRegistry } = await import('../../lib/db/period-registry.ts');
  const registry = (await readPeriodRegistry(db, pub, period, me))!;
  const objects: (ArchivedObject & { path: string })[] = [];
  for (const r of rules) {
    if (!(r.store instanceof ManifestStore)) continue;
    const path = r.store.path(id);
    const h = await hashFile(path).catch(() => undefined);
    if (h) objects.push({ name: `manifests/${r.name}.yaml`, role: 'manifest', stage: r.name, sha256: h.sha256, size: h.bytes, path });
  }
  const tmp = join(ws.paths.cache, 'archive', pub, period);
  try {
    objects.push(...(await slices(ws, registry, pub, period, tmp)));
    if (opts.sources) objects.push(...(await sourceFiles(ws, rules, id, opts.signal)));
    let uploaded = 0;
    for (const o of objects) {
      opts.signal.throwIfAborted();
      if (await putContent(remote, o.path, o.sha256, o.size)) uploaded++;
    }
    const manifest: ArchiveManifest = {
      format: MANIFEST_FORMAT, publication: pub, period, archived_at: ws.now().toISOString(), workspace_id: me,
      loaded: loaded.record, registry, objects: objects.map(({ path: _, ...o }) => o),
    };
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const sha256 = sha256Of(bytes);
    opts.signal.throwIfAborted();
    await remote.putBytes(manifestKey(id), bytes, { sha256, contentType: 'application/json' });
    const total = objects.reduce((n, o) => n + o.size, 0);
    await writeRecord(ws, {
      format: RECORD_FORMAT, publication: pub, period, remote: remote.url, manifest: { key: manifestKey(id), sha256 }, archived_at: manifest.archived_at,
      loaded_output: loaded.record.output, sources: opts.sources || Boolean(known?.sources && known.loaded_output === loaded.record.output), objects: objects.length, bytes: total,
    });
    return { id, outcome: 'archived', uploaded: uploaded + 1, objects: objects.length, bytes: total };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** One Parquet slice per table the period loaded into. */
async function slices(ws: Workspace, registry: PeriodRegistry, pub: string, period: string, tmp: string): Promise<(ArchivedObject & { path: string })[]> {
  const { stagingColumns } = await import('../../lib/db/registry.ts');
  const { exportSlice } = await import('../../lib/archive/slice.ts');
  const db = await ws.db();
  const out: (ArchivedObject & { path: string })[] = [];
  for (const table of [...new Set(registry.loads.map((l) => String(l.table_name)))].sort()) {
    const path = join(tmp, `${table}.parquet`);
    const columns = await stagingColumns(db, table);
    const s = await exportSlice(db, { table, publication: pub, period, columns }, path, join(ws.paths.cache, 'tmp'));
    out.push({ name: `parquet/${table}.parquet`, role: 'parquet', table, rows: s.rows, sha256: s.sha256, size: s.bytes, path });
  }
  return out;
}

/** The period's downloaded files (fetched again first if the local copy is gone: the bytes must be the recorded ones). */
async function sourceFiles(ws: Workspace, rules: ReturnType<typeof stageRules>, id: string, signal: AbortSignal): Promise<(ArchivedObject & { path: string })[]> {
  const body = (await rules.find((r) => r.name === 'download')!.store.read(id)) as DownloadBody;
  const { blobFor } = await import('../blobs.ts');
  const out: (ArchivedObject & { path: string })[] = [];
  for (const f of [...(body.page ? [body.page] : []), ...body.files]) {
    const path = await blobFor(ws, f, signal);
    out.push({ name: `sources/${f.sha256.slice(0, 12)}/${f.name}`, role: 'source', url: f.url, sha256: f.sha256, size: f.size, path });
  }
  return out;
}

/** Uploads today's catalog as `catalog/catalog_YYYYMMDD.parquet` (and its column catalog) unless that day's is there. */
export async function snapshotCatalog(ws: Workspace, remote: Remote): Promise<string[]> {
  const day = ws.now().toISOString().slice(0, 10).replace(/-/g, '');
  const sent: string[] = [];
  for (const name of ['catalog', 'catalog_columns']) {
    const path = join(ws.paths.output, `${name}.parquet`);
    const h = await hashFile(path).catch(() => undefined);
    if (!h) continue;
    const key = `catalog/${name}_${day}.parquet`;
    const there = await remote.head(key);
    if (there?.sha256 === h.sha256) continue;
    await remote.putFile(key, path, { sha256: h.sha256, size: h.bytes });
    sent.push(key);
  }
  return sent;
}

/** Whether the period ended more than `days` days before `now` (for `--older-than`). */
export function olderThan(period: string, days: number, now: Date): boolean {
  const p = parsePeriod(period);
  return p !== undefined && Date.parse(`${p.end}T23:59:59Z`) < now.getTime() - days * 86_400_000;
}
