/**
 * `clean` and the files around the builds: temporary files of interrupted runs, a stale lock, files nhs-pipeline did
 * not write (left alone as unknown), and links pointing out of the workspace (never followed, never deleted).
 * The database stores are skipped here (the database-backed stores are covered in clean.test.ts on both backends).
 */
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/cli-rig.ts';

/** Above Linux's largest possible pid (2^22), so no process has it. */
const DEAD = 999_999_999;
const HEADER = '# Written by nhs-pipeline. Do not edit: change config/publications.yaml (overrides) instead.\nprovenance:\n  rule: draft\n';
const SHA = 'ab'.repeat(32);
const CONFIG = 'publications:\n  oaps:\n    name: Out of Area Placements\n    periods:\n      - period: 2016-10\n        url: data/oct.csv\n';

type Item = { id: string; bytes?: number };
type Store = { skipped: boolean; kinds: Record<string, Item[]>; unknown: Item[]; note?: string };
const storesOf = (run: { events: Record<string, unknown>[] }) => (run.events.find((e) => e.event === 'clean') as { stores: Record<string, Store> }).stores;
const ids = (items: Item[] | undefined) => (items ?? []).map((i) => i.id);
const exists = (path: string) => stat(path).then(() => true, () => false);

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('clean: temporary files, a stale lock, and files it did not create', () => {
  let ws: string;
  let outside: string;
  const clean = (...args: string[]) => runCli(['clean', '-C', ws, '--json', '--skip', 'tables,registry', ...args]);

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'clean-leftovers-'));
    outside = await mkdtemp(join(tmpdir(), 'clean-outside-'));
    await put(join(ws, 'config/publications.yaml'), CONFIG);
    await put(join(outside, 'precious.parquet'), 'not ours');
    const files: Record<string, string> = {
      // configured period: kept
      'manifests/draft/oaps/2016-10.yaml': HEADER,
      // unconfigured period written by nhs-pipeline: an orphan; without the header: unknown
      'manifests/draft/oaps/2015-01.yaml': HEADER,
      'manifests/download/oaps/2017-01.yaml': 'my own notes\n',
      'manifests/failures/loaded/oaps/2015-01.json': '{}\n',
      'manifests/failures/loaded/oaps/2016-10.json': '{}\n',
      'manifests/failures/catalog/all.json': '{}\n',
      'manifests/README.txt': 'mine\n',
      'output/metadata/old_table.md': '# old_table\n\nFrom x.csv.\n\n- Table: `old_table`\n',
      'output/parquet/notes.parquet': 'not a parquet file',
      [`downloads/${SHA}/old.csv`]: 'a,b\n1,2\n',
      'downloads/random.txt': 'mine\n',
      // temporary files of a dead process, and one of a running process (this one)
      [`manifests/draft/oaps/2016-10.yaml.tmp-${DEAD}-0a1b2c`]: 'half',
      [`output/parquet/t.parquet.tmp-${DEAD}-0a1b2c`]: 'half',
      [`output/metadata/t.md.tmp-${process.pid}-0a1b2c`]: 'in progress',
      [`downloads/.tmp-${DEAD}-0a1b2c`]: 'partial download',
      [`downloads/index.json.tmp-${DEAD}-0a1b2c`]: '{',
      [`manifests/failures/loaded/oaps/2016-10.json.tmp-${DEAD}`]: '{',
      '.cache/tmp/oaps_open_data.csv': 'export',
      [`.cache/build.lock.${DEAD}.tmp`]: '{}',
      '.cache/build.lock': JSON.stringify({ pid: DEAD, since: '2026-01-01T00:00:00.000Z', command: 'build' }),
    };
    for (const [path, text] of Object.entries(files)) await put(join(ws, path), text);
    await symlink(join(outside, 'precious.parquet'), join(ws, 'output/parquet/evil.parquet'));
  });
  afterAll(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
    if (outside) await rm(outside, { recursive: true, force: true });
  });

  it('lists temporary files of dead processes and the stale lock, orphans it wrote, and what it did not write as unknown', async () => {
    const res = await clean();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const s = storesOf(res);
    expect(s.manifests.kinds).toEqual({ draft: [{ id: 'manifests/draft/oaps/2015-01.yaml', bytes: HEADER.length }], failures: [{ id: 'manifests/failures/loaded/oaps/2015-01.json', bytes: 3 }] });
    expect(ids(s.manifests.unknown)).toEqual(['manifests/download/oaps/2017-01.yaml', 'manifests/README.txt']);
    expect(ids(s.metadata.kinds.metadata)).toEqual(['output/metadata/old_table.md']);
    expect(s.parquet.kinds).toEqual({});
    expect(ids(s.parquet.unknown)).toEqual(['output/parquet/evil.parquet', 'output/parquet/notes.parquet']);
    expect(ids(s.downloads.kinds.blobs)).toEqual([`downloads/${SHA}/old.csv`]);
    expect(ids(s.downloads.unknown)).toEqual(['downloads/random.txt']);
    expect(ids(s.temp.kinds.temp).sort()).toEqual([
      `.cache/build.lock.${DEAD}.tmp`,
      '.cache/tmp/oaps_open_data.csv',
      `downloads/.tmp-${DEAD}-0a1b2c`,
      `downloads/index.json.tmp-${DEAD}-0a1b2c`,
      `manifests/draft/oaps/2016-10.yaml.tmp-${DEAD}-0a1b2c`,
      `manifests/failures/loaded/oaps/2016-10.json.tmp-${DEAD}`,
      `output/parquet/t.parquet.tmp-${DEAD}-0a1b2c`,
    ]);
    expect(ids(s.temp.kinds.lock)).toEqual([`.cache/build.lock (pid ${DEAD})`]);
    expect(s.tables).toMatchObject({ skipped: true, kinds: {} });
    expect(await exists(join(ws, '.cache/build.lock'))).toBe(true); // a dry run takes no lock, so it replaced nothing
  });

  it('--skip temp leaves temporary files and the lock out of the list', async () => {
    const s = storesOf(await clean('--skip', 'tables,registry,temp'));
    expect(s.temp).toMatchObject({ skipped: true, kinds: {} });
    expect(ids(s.metadata.kinds.metadata)).toEqual(['output/metadata/old_table.md']);
  });

  it('--execute removes the same list and nothing it did not create; the link and its target survive', async () => {
    const dry = storesOf(await clean());
    const res = await clean('--execute');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(storesOf(res)).toEqual(dry);
    for (const item of Object.values(dry).flatMap((s) => Object.values(s.kinds).flat())) {
      if (!item.id.startsWith('.cache/build.lock ')) expect(await exists(join(ws, item.id)), item.id).toBe(false);
    }
    expect(await exists(join(ws, '.cache/build.lock'))).toBe(false); // taken over, then released
    for (const kept of [
      'manifests/draft/oaps/2016-10.yaml', 'manifests/failures/loaded/oaps/2016-10.json', 'manifests/failures/catalog/all.json',
      'manifests/download/oaps/2017-01.yaml', 'manifests/README.txt', 'output/parquet/notes.parquet', 'downloads/random.txt',
      `output/metadata/t.md.tmp-${process.pid}-0a1b2c`, 'output/parquet/evil.parquet',
    ]) expect(await exists(join(ws, kept)), kept).toBe(true);
    expect(await readFile(join(outside, 'precious.parquet'), 'utf8')).toBe('not ours');
    expect(await readdir(join(ws, 'downloads'))).toEqual(['random.txt']); // the emptied blob folder went too

    const again = await clean();
    expect(again.events.at(-1)).toMatchObject({ event: 'summary', items: 0, unknown: 5 });
  });

  it('a store folder that links out of the workspace is left alone entirely', async () => {
    await put(join(outside, 'metadata/gone_table.md'), '# gone_table\n\n- Table: `gone_table`\n');
    await rm(join(ws, 'output/metadata'), { recursive: true });
    await symlink(join(outside, 'metadata'), join(ws, 'output/metadata'));
    const res = await clean('--execute');
    expect(res.code).toBe(0);
    const s = storesOf(res);
    expect(s.metadata.kinds).toEqual({});
    expect(s.metadata.note).toMatch(/output\/metadata resolves to .*clean-outside-.*metadata, outside the workspace: left alone/);
    expect(await readFile(join(outside, 'metadata/gone_table.md'), 'utf8')).toContain('gone_table');
  });
});
