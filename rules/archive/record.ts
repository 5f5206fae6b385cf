/**
 * The local record of an archived period: `manifests/archive/<pub>/<period>.json`, committed with the manifests.
 * It says where the period's archive is (its `manifest.json` and that file's SHA-256), which loaded state it holds
 * (the `loaded` target's output digest), and, once retention has removed the period's rows and source files from
 * this workspace, when and how much (`removed`).
 *
 * A period whose record has `removed` is *archived*: its rows live in the archive alone. That is read from this
 * artifact, never from a flag kept elsewhere: a build leaves such a period alone (it is neither stale nor missing),
 * `status` shows it as archived, and `restore` brings it back and drops `removed`.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic.ts';
import { splitId, type Workspace } from '../workspace.ts';

export const RECORD_FORMAT = 'nhs-pipeline/archive-record@1';

export interface ArchiveRecord {
  format: typeof RECORD_FORMAT;
  publication: string;
  period: string;
  /** `s3://bucket/prefix` the period was archived to. */
  remote: string;
  /** The period's `manifest.json` in the archive, and the SHA-256 of its bytes. */
  manifest: { key: string; sha256: string };
  archived_at: string;
  /** Output digest of the period's `loaded` target when archived: the rows the archive holds. */
  loaded_output: string;
  /** Whether the downloaded source files are in the archive too (`archive --sources`). */
  sources: boolean;
  objects: number;
  bytes: number;
  /** Set by retention: the period's rows and source files were removed from this workspace. */
  removed?: { at: string; rows: number; files: number };
}

/** Where the record of `pub/period` lives. */
export function recordPath(ws: Workspace, id: string): string {
  const [pub, period] = splitId(id);
  return join(ws.paths.manifests, 'archive', pub, `${period}.json`);
}

/** The period's record (through the build log: a stat while it is unchanged), or undefined. */
export async function readRecord(ws: Workspace, id: string): Promise<ArchiveRecord | undefined> {
  const path = recordPath(ws, id);
  const sig = ws.log.signature(path);
  if (!sig) return undefined;
  const known = ws.log.lookup<ArchiveRecord | null>('archive-record', path, sig);
  if (known !== undefined) return known ?? undefined;
  let record: ArchiveRecord | undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const parsed = JSON.parse(await readFile(path, 'utf8')) as ArchiveRecord;
    record = parsed?.format === RECORD_FORMAT ? parsed : undefined;
  } catch {
    record = undefined; // unreadable: as if the period had never been archived
  }
  ws.log.remember('archive-record', path, sig, record ?? null);
  return record;
}

export async function writeRecord(ws: Workspace, record: ArchiveRecord): Promise<void> {
  const path = recordPath(ws, `${record.publication}/${record.period}`);
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  ws.log.remember('archive-record', path, ws.log.signature(path), record);
}

/** The periods among `ids` whose rows live in the archive alone, with their records. */
export async function archivedAway(ws: Workspace, ids: string[]): Promise<Map<string, ArchiveRecord>> {
  const out = new Map<string, ArchiveRecord>();
  // Nothing was ever archived (most workspaces): one look at the folder, not one per period.
  if (!ws.log.hasFolder(join(ws.paths.manifests, 'archive'))) return out;
  for (const id of ids) {
    const r = await readRecord(ws, id);
    if (r?.removed) out.set(id, r);
  }
  return out;
}
