/**
 * `restore PUB/PERIOD`: the period's objects back from the archive, every one checked against its SHA-256, then put
 * where they belong: manifests that are missing locally, source files into the download store (so a later rebuild
 * of the period needs no download from the NHS site), and, when the database no longer holds the period, its rows
 * from the Parquet slices and its registry rows exactly as they were archived (each slice under a new id, which its
 * restored rows carry in `_slice`). The caller then builds the
 * publication, which rewrites the tables' Parquet files with the period's rows again (byte for byte as before).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PipelineError } from '../../lib/failure.ts';
import { sha256Of, getContent } from '../../lib/remote/content.ts';
import type { Remote } from '../../lib/remote/s3.ts';
import { stageRules } from '../build.ts';
import type { Stage } from '../stage.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { splitId, type Workspace } from '../workspace.ts';
import { readRecord, RECORD_FORMAT, writeRecord } from './record.ts';
import { MANIFEST_FORMAT, manifestKey, type ArchiveManifest } from './upload.ts';

export interface Restored { id: string; objects: number; bytes: number; reloaded: boolean; rows: number; manifests: { restored: string[]; keptLocal: string[] }; sources: number }

export async function restorePeriod(ws: Workspace, stages: readonly Stage[], remote: Remote, id: string, signal: AbortSignal): Promise<Restored> {
  const [pub, period] = splitId(id);
  const record = await readRecord(ws, id);
  const raw = await remote.getBytes(manifestKey(id));
  if (!raw) {
    throw new PipelineError({ kind: 'input', message: `${remote.url} holds no archive of ${id} (${manifestKey(id)} is missing)`, hint: `archive it first with \`archive ${pub}\`, or check \`archive: url:\` in the config` });
  }
  if (record?.manifest.sha256 && record.manifest.sha256 !== sha256Of(raw)) {
    throw new PipelineError({ kind: 'input', message: `${remote.url}/${manifestKey(id)} is not the manifest this workspace archived (its SHA-256 differs from manifests/archive/${id}.json); nothing was restored`, hint: 'another workspace archived this period since; archive it again from here, or delete the local record to take the archive as it is' });
  }
  const manifest = JSON.parse(Buffer.from(raw).toString('utf8')) as ArchiveManifest;
  if (manifest.format !== MANIFEST_FORMAT || manifest.publication !== pub || manifest.period !== period) {
    throw new PipelineError({ kind: 'input', message: `${remote.url}/${manifestKey(id)} is not an archive manifest of ${id}`, hint: 'check `archive: url:` in the config' });
  }
  const tmp = join(ws.paths.cache, 'restore', pub, period);
  await rm(tmp, { recursive: true, force: true });
  try {
    const paths = new Map<string, string>();
    for (const o of manifest.objects) {
      signal.throwIfAborted();
      const path = join(tmp, o.name);
      await mkdir(dirname(path), { recursive: true });
      await getContent(remote, o.sha256, path, signal); // checks the SHA-256
      paths.set(o.name, path);
    }
    const manifests = await putManifests(ws, stages, id, manifest, paths);
    const sources = await putSources(ws, manifest, paths);
    const { reloaded, rows } = await reload(ws, pub, period, manifest, paths);
    const bytes = manifest.objects.reduce((n, o) => n + o.size, 0);
    const base = record ?? {
      format: RECORD_FORMAT, publication: pub, period, remote: remote.url, manifest: { key: manifestKey(id), sha256: sha256Of(raw) }, archived_at: manifest.archived_at,
      loaded_output: manifest.loaded.output, sources: manifest.objects.some((o) => o.role === 'source'), objects: manifest.objects.length, bytes,
    };
    const { removed: _, ...rest } = base;
    await writeRecord(ws, rest);
    return { id, objects: manifest.objects.length, bytes, reloaded, rows, manifests, sources };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Manifests missing locally come back; one present locally is kept (it is what this workspace built since). */
async function putManifests(ws: Workspace, stages: readonly Stage[], id: string, manifest: ArchiveManifest, paths: Map<string, string>) {
  const out = { restored: [] as string[], keptLocal: [] as string[] };
  for (const r of stageRules(ws, stages)) {
    const o = manifest.objects.find((x) => x.role === 'manifest' && x.stage === r.name);
    if (!o || !(r.store instanceof ManifestStore)) continue;
    const dest = r.store.path(id);
    if (ws.log.signature(dest)) {
      out.keptLocal.push(r.name);
      continue;
    }
    const { writeFileAtomic } = await import('../../lib/atomic.ts');
    const { readFile } = await import('node:fs/promises');
    await writeFileAtomic(dest, await readFile(paths.get(o.name)!));
    out.restored.push(r.name);
  }
  return out;
}

/** Source files into the download store under their URLs, as if just downloaded. */
async function putSources(ws: Workspace, manifest: ArchiveManifest, paths: Map<string, string>): Promise<number> {
  const store = await ws.downloads();
  let n = 0;
  for (const o of manifest.objects.filter((x) => x.role === 'source')) {
    const name = o.name.slice(o.name.lastIndexOf('/') + 1);
    if (!(await store.hasBlob({ sha256: o.sha256, name, size: o.size }))) {
      const temp = await store.tempPath();
      await copyFile(paths.get(o.name)!, temp);
      await store.adoptBlob(temp, { sha256: o.sha256, name });
    }
    if (store.lookup(o.url!)?.sha256 !== o.sha256) await store.put({ url: o.url!, sha256: o.sha256, size: o.size, name, downloadedAt: ws.now().toISOString() });
    n++;
  }
  return n;
}

/** The period's rows and registry rows, in one transaction, when the database does not hold the period. */
async function reload(ws: Workspace, pub: string, period: string, manifest: ArchiveManifest, paths: Map<string, string>): Promise<{ reloaded: boolean; rows: number }> {
  const db = await ws.db();
  const me = await ws.identity();
  const { readPeriodRegistry, writePeriodRegistry } = await import('../../lib/db/period-registry.ts');
  if (await readPeriodRegistry(db, pub, period, me)) return { reloaded: false, rows: 0 };
  const { ensureStagingTable, claimPeriod, deleteSlicesExcept } = await import('../../lib/db/registry.ts');
  const { freshSliceId } = await import('../../lib/db/layout.ts');
  const { importSlice, readSliceMeta } = await import('../../lib/archive/slice.ts');
  const slices: { path: string; meta: Awaited<ReturnType<typeof readSliceMeta>> }[] = [];
  for (const o of manifest.objects.filter((x) => x.role === 'parquet')) slices.push({ path: paths.get(o.name)!, meta: await readSliceMeta(paths.get(o.name)!) });
  let rows = 0;
  try {
    await db.transaction(async (tx) => {
      await claimPeriod(tx, pub, period, me);
      for (const s of slices) await ensureStagingTable(tx, s.meta.table, pub, s.meta.columns, me);
      // Whatever of the period the database still holds goes (rows in any slice, registry rows without a record); then
      // the registry rows as archived, which number the slices anew: the restored rows carry those ids in `_slice`.
      await deleteSlicesExcept(tx, pub, period, [], me);
      await writePeriodRegistry(tx, manifest.registry, me);
      for (const s of slices) {
        const loads = await tx.query<{ id: number; source_key: string; publication: string; source_file: string; source_sha256: string; sheet: string | null }>(
          `SELECT slice_id AS id, source_key, publication, source_file, source_sha256, sheet FROM datawarp.loads
            WHERE table_name = $1 AND publication = $2 AND period = $3 ORDER BY source_key`,
          [s.meta.table, pub, period],
        );
        const ids = [];
        for (const l of loads) {
          ids.push({ id: await freshSliceId(tx, s.meta.table, l.id), sourceKey: l.source_key, publication: l.publication, sourceFile: l.source_file, sourceSha256: l.source_sha256, sheet: l.sheet });
        }
        rows += await importSlice(tx, s.path, s.meta, ids);
      }
    });
  } finally {
    ws.registry.invalidate();
  }
  return { reloaded: true, rows };
}
