/** `clean` for the parquet stage: Parquet and Markdown files of tables no configured period produces. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemp, listInside, rel, reportWalk, sizeOf, type Walk } from '../clean/files.ts';
import { noOrphans, type CleanStore, type OrphanItem, type OrphanQuery, type StageOrphans } from '../stage.ts';
import { KV_RECORD } from '../stages/parquet.ts';

export async function parquetOrphans(q: OrphanQuery): Promise<StageOrphans> {
  const out = noOrphans();
  const names = new Set([...q.tables].map((id) => id.slice(id.indexOf('/') + 1)));
  const folder = async (store: CleanStore, ext: string, ours: (path: string, table: string) => Promise<boolean>) => {
    if (q.skip.has(store)) return;
    const walk: Walk = { root: q.root, unknown: [] };
    const dir = join(q.root, 'output', store);
    const items: OrphanItem[] = [];
    for (const f of await listInside(dir, walk)) {
      const path = join(dir, f.name);
      if (isTemp(f.name)) continue;
      const table = f.name.endsWith(ext) ? f.name.slice(0, -ext.length) : undefined;
      if (table !== undefined && names.has(table) && f.isFile()) continue;
      if (table !== undefined && f.isFile() && (await ours(path, table))) {
        items.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
        out.files.push(path);
      } else walk.unknown.push({ id: rel(q.root, path), bytes: await sizeOf(path) });
    }
    reportWalk(out, store, store, items, walk);
  };
  await folder('parquet', '.parquet', async (path) => {
    const { readParquetInfo } = await import('../../lib/parquet/info.ts');
    return Boolean((await readParquetInfo(path).catch(() => undefined))?.kv[KV_RECORD]);
  });
  // The table documentation the parquet rule writes starts with `# <table>` and names the table.
  await folder('metadata', '.md', async (path, table) => {
    const text = await readFile(path, 'utf8').catch(() => '');
    return text.startsWith(`# ${table}\n`) && text.includes(`- Table: \`${table}\``);
  });
  return out;
}
