/**
 * Leaf inputs and their digests: configured values (parsed, so a comment or whitespace edit changes
 * nothing), local files (through the stat cache), the registry's slice list of a table, and the set of
 * published Parquet files.
 */
import { isAbsolute, join } from 'node:path';
import { digestOf, type Digest, type Sources } from '../engine/index.ts';
import { readLoads } from '../lib/db/registry.ts';
import { previousPeriod } from './enrich.ts';
import { parquetPaths } from './parquet.ts';
import { splitId, type Workspace } from './workspace.ts';

export function workspaceSources(ws: Workspace): Sources {
  return {
    async digest(key): Promise<Digest | undefined> {
      const i = key.indexOf(':');
      const scheme = key.slice(0, i);
      const id = key.slice(i + 1);
      switch (scheme) {
        case 'config':
          return configDigest(ws, id);
        case 'file':
          return ws.hasher.hash(isAbsolute(id) ? id : join(ws.paths.root, id));
        case 'loads': {
          const [publication, table] = splitId(id);
          const loads = await readLoads(await ws.db(), { publication, table });
          return digestOf(loads.map((l) => [l.period, l.sourceKey, l.sourceSha256, l.canonicalSha256, l.ruleVersion, l.rowCount]).sort());
        }
        case 'parquet-set': {
          const files = [];
          for (const t of await publishedTables(ws)) files.push([t.table, (await ws.hasher.hash(parquetPaths(ws, t.table).parquet)) ?? 'missing']);
          return digestOf(files);
        }
        default:
          throw new Error(`unknown input "${key}"`);
      }
    },
  };
}

/** `pub/period` → its URL; `pub/period#previous` → the period before it; `pub#include_sheets`, `pub#overrides` → those settings. */
function configDigest(ws: Workspace, id: string): Digest | undefined {
  const [code, setting] = id.split('#');
  const [pubCode, period] = splitId(code);
  const pub = ws.config.publications.find((p) => p.code === pubCode);
  if (!pub) return undefined;
  if (setting === 'include_sheets') return digestOf(pub.overrides.includeSheets);
  // Which period is the naming reference: adding an earlier period changes it for the next one.
  if (setting === 'previous') return digestOf({ previous: previousPeriod(ws, pubCode, period) ?? null });
  if (setting === 'overrides') return digestOf(pub.overrides.tables);
  const entry = pub.periods.find((e) => e.period.label === period);
  // `files` only when set, so that entries without it keep the digest they were built with.
  return entry && digestOf(entry.files ? { url: entry.url, files: entry.files } : { url: entry.url });
}

/**
 * Tables holding rows of configured periods, sorted: what the catalog lists. A table renamed away by an
 * override, or whose periods all left the config, is not published any more (`clean` removes its files).
 */
export async function publishedTables(ws: Workspace): Promise<{ table: string; publication: string }[]> {
  const configured = new Set(ws.config.publications.flatMap((p) => p.periods.map((e) => `${p.code}/${e.period.label}`)));
  const tables = new Map<string, string>();
  for (const l of await readLoads(await ws.db(), { workspace: await ws.identity() })) {
    if (configured.has(`${l.publication}/${l.period}`) && l.rowCount > 0) tables.set(l.table, l.publication);
  }
  return [...tables].map(([table, publication]) => ({ table, publication })).sort((a, b) => (a.table < b.table ? -1 : 1));
}
