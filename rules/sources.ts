/**
 * Leaf inputs, their digests and their values: configured settings (parsed, so a comment or whitespace edit
 * changes nothing), local files (through the build log's stat cache), the registry's slice list of a table,
 * and the set of published Parquet files. Rules read the config only through these keys.
 *
 * | key                          | value                                   |
 * |------------------------------|-----------------------------------------|
 * | `config:pub/period`          | the period's URL, `files:` patterns, the folder relative URLs start from |
 * | `config:pub/period#previous` | the configured period before it (the naming reference), or null |
 * | `config:pub#include_sheets`  | sheets to force in                      |
 * | `config:pub#overrides`       | table overrides                         |
 * | `config:pub#family`          | whether files of one schema are one table (`family:`) |
 * | `config:pub#name`            | the publication's name                  |
 * | `file:<path>`                | the file's absolute path (digest: its SHA-256) |
 * | `loads:pub/table`            | the table's slices in the registry      |
 * | `parquet-set:all`            | the tables the catalog lists, with what each Parquet file says of itself |
 * | `llm:<pub>/<sha256>`         | the model's kept answer to one request, or undefined (digest: the file's SHA-256) |
 * | `llm:model`                  | the model new questions go to, or null when none may be asked (no model or no key) |
 */
import { isAbsolute, join } from 'node:path';
import { digestOf, type Digest, type Sources } from '../engine/index.ts';
import type { PipelineConfig } from '../lib/config/types.ts';
import type { LoadRow } from '../lib/db/registry.ts';
import type { Period } from '../lib/periods.ts';
import { previousPeriod } from './stages/enriched/index.ts';
import { answerPath, readAnswer } from './stores/llm-answers.ts';
import { parquetPaths, readParquetValue, type ParquetValue } from './stages/parquet.ts';
import { splitId, type Workspace } from './workspace.ts';

/** What `config:pub/period` holds. */
export interface PeriodSetting { url: string; files?: string[]; period: Period; baseDir: string }

/** A table the catalog lists. */
export interface PublishedTable { table: string; publication: string }

interface Source { digest: Digest | undefined; value: unknown }

/** What `parquet-set:all` holds: each published table with what its Parquet file says of itself (undefined when missing). */
export interface PublishedTableInfo extends PublishedTable { info: ParquetValue | undefined }

export function workspaceSources(ws: Workspace): Sources {
  const resolve = async (key: string): Promise<Source> => {
    const i = key.indexOf(':');
    const scheme = key.slice(0, i);
    const id = key.slice(i + 1);
    switch (scheme) {
      case 'config':
        return configSource(ws.rawConfig, id);
      case 'file': {
        const path = isAbsolute(id) ? id : join(ws.paths.root, id);
        return { digest: await ws.log.hash(path, key), value: path };
      }
      case 'loads': {
        const [publication, table] = splitId(id);
        const loads = await ws.registry.loads({ publication, table });
        const digest = digestOf(loads.map((l) => [l.period, l.sourceKey, l.sourceSha256, l.canonicalSha256, l.ruleVersion, l.rowCount]).sort());
        return { digest, value: loads };
      }
      case 'parquet-set': {
        const tables = await publishedTables(ws);
        const files = [];
        for (const t of tables) files.push([t.table, (await ws.log.hash(parquetPaths(ws, t.table).parquet, key)) ?? 'missing']);
        // The files' own metadata is part of this input (its digest covers their bytes), read only when asked for.
        return { digest: digestOf(files), value: async () => Promise.all(tables.map(async (t) => ({ ...t, info: await readParquetValue(ws, t.table) }))) };
      }
      case 'llm':
        return llmSource(ws, id);
      default:
        throw new Error(`unknown input "${key}"`);
    }
  };
  return {
    digest: async (key) => (await resolve(key)).digest,
    value: async (key) => {
      const { value } = await resolve(key);
      return typeof value === 'function' ? (value as () => Promise<unknown>)() : value;
    },
  };
}

/** `pub/period` → its URL; `pub/period#previous` → the period before it; `pub#…` → a publication setting. */
function configSource(config: PipelineConfig, id: string): Source {
  const [code, setting] = id.split('#');
  const [pubCode, period] = splitId(code);
  const pub = config.publications.find((p) => p.code === pubCode);
  if (!pub) return { digest: undefined, value: undefined };
  if (setting === 'include_sheets') return { digest: digestOf(pub.overrides.includeSheets), value: pub.overrides.includeSheets };
  if (setting === 'overrides') return { digest: digestOf(pub.overrides.tables), value: pub.overrides.tables };
  if (setting === 'name') return { digest: digestOf({ name: pub.name }), value: pub.name };
  if (setting === 'family') return { digest: digestOf({ family: pub.family ?? null }), value: pub.family ?? {} };
  if (setting === 'previous') {
    // Which period is the naming reference: adding an earlier period changes it for the next one.
    const previous = previousPeriod(config, pubCode, period) ?? null;
    return { digest: digestOf({ previous }), value: previous };
  }
  const entry = pub.periods.find((e) => e.period.label === period);
  if (!entry) return { digest: undefined, value: undefined };
  // `files` only when set, so that entries without it keep the digest they were built with.
  const digest = digestOf(entry.files ? { url: entry.url, files: entry.files } : { url: entry.url });
  return { digest, value: { url: entry.url, ...(entry.files ? { files: entry.files } : {}), period: entry.period, baseDir: config.dir } satisfies PeriodSetting };
}

/**
 * `llm:model`: whether questions may be asked, and of which model (absent when not: a build without a key records
 * that, so the first build with one asks). `llm:<pub>/<sha256>`: a kept answer, by its file's bytes.
 */
async function llmSource(ws: Workspace, id: string): Promise<Source> {
  if (id === 'model') {
    const model = ws.llm.asks ? ws.llm.model! : null;
    return { digest: model === null ? undefined : digestOf({ model }), value: model };
  }
  const [pub, sha] = splitId(id);
  const path = answerPath(ws.paths, pub, sha);
  const digest = await ws.log.hash(path, `llm:${id}`);
  return { digest, value: digest === undefined ? undefined : async () => readAnswer(path) };
}

/**
 * Tables holding rows of configured periods, sorted: what the catalog lists. A table renamed away by an
 * override, or whose periods all left the config, is not published any more (`clean` removes its files).
 */
export async function publishedTables(ws: Workspace): Promise<PublishedTable[]> {
  const configured = new Set(ws.rawConfig.publications.flatMap((p) => p.periods.map((e) => `${p.code}/${e.period.label}`)));
  const tables = new Map<string, string>();
  for (const l of await ws.registry.loads()) {
    if (configured.has(`${l.publication}/${l.period}`) && l.rowCount > 0) tables.set(l.table, l.publication);
  }
  return [...tables].map(([table, publication]) => ({ table, publication })).sort((a, b) => (a.table < b.table ? -1 : 1));
}

export type { LoadRow };
