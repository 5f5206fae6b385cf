/**
 * Local retention (`retention: {keep_periods: N}`, opt-in): of each publication, the newest N configured periods stay
 * in this workspace; an older period whose archive holds its current rows has its rows removed from the database
 * (and so, at the next build, from the table's Parquet file) and its downloaded files removed from `downloads/`.
 * Its manifests are never removed, and its record says what was removed and when: the period is then *archived*.
 * A table left with no period at all has its Parquet and Markdown files removed too.
 */
import { rm } from 'node:fs/promises';
import { comparePeriods } from '../../lib/periods.ts';
import { stageRules } from '../build.ts';
import type { Stage } from '../stage.ts';
import type { DownloadBody } from '../stages/download.ts';
import { parquetPaths } from '../stages/parquet.ts';
import type { Workspace } from '../workspace.ts';
import { readRecord, writeRecord } from './record.ts';

export interface RetentionResult { removed: { id: string; rows: number; files: number }[]; tables: string[] }

export async function applyRetention(ws: Workspace, stages: readonly Stage[], keep: number, codes: string[], remote: string): Promise<RetentionResult> {
  const rules = stageRules(ws, stages);
  const loaded = rules.find((r) => r.name === 'loaded')!;
  const download = rules.find((r) => r.name === 'download')!;
  const out: RetentionResult = { removed: [], tables: [] };
  const pubs = ws.rawConfig.publications.filter((p) => codes.length === 0 || codes.includes(p.code));
  const goes: string[] = [];
  for (const pub of pubs) {
    const older = [...pub.periods].sort((a, b) => comparePeriods(b.period, a.period)).slice(keep);
    for (const e of older) {
      const id = `${pub.code}/${e.period.label}`;
      const record = await readRecord(ws, id);
      // Only what the configured archive holds: a record of another bucket is not what `restore` would read.
      if (!record || record.removed || record.remote !== remote) continue;
      const found = await loaded.store.find(id);
      if (found?.record.output === record.loaded_output) goes.push(id);
    }
  }
  if (!goes.length) return out;
  // Files still needed by a period that stays local are kept, whatever else refers to them.
  const goesSet = new Set(goes);
  const kept = new Set<string>();
  for (const pub of ws.rawConfig.publications) {
    for (const e of pub.periods) {
      const id = `${pub.code}/${e.period.label}`;
      if (goesSet.has(id) || (await readRecord(ws, id))?.removed) continue;
      for (const f of await filesOf(download, id)) kept.add(f.sha256);
    }
  }
  const db = await ws.db();
  const me = await ws.identity();
  const { removePeriod } = await import('../../lib/db/period-registry.ts');
  const store = await ws.downloads();
  const touched = new Set<string>();
  for (const id of goes) {
    const [pub, period] = id.split('/') as [string, string];
    for (const l of await ws.registry.loads({ publication: pub, period })) touched.add(`${pub}/${l.table}`);
    const rows = await db.transaction((tx) => removePeriod(tx, pub, period, me));
    let files = 0;
    for (const f of await filesOf(download, id)) {
      if (kept.has(f.sha256) || !(await store.hasBlob(f))) continue;
      await rm(store.blobPath(f), { force: true });
      files++;
    }
    const record = (await readRecord(ws, id))!;
    await writeRecord(ws, { ...record, removed: { at: ws.now().toISOString(), rows, files } });
    out.removed.push({ id, rows, files });
  }
  ws.registry.invalidate();
  for (const t of touched) {
    const [pub, table] = t.split('/') as [string, string];
    if ((await ws.registry.loads({ publication: pub, table })).length > 0) continue;
    const p = parquetPaths(ws, table);
    await rm(p.parquet, { force: true });
    await rm(p.markdown, { force: true });
    out.tables.push(table);
  }
  return out;
}

async function filesOf(download: ReturnType<typeof stageRules>[number], id: string) {
  const body = (await download.store.read(id).catch(() => undefined)) as DownloadBody | undefined;
  return body ? [...(body.page ? [body.page] : []), ...body.files] : [];
}
