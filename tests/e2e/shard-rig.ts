/**
 * What the shard tests share: a test server publishing five small CSV publications of two periods each (rows
 * differ per publication, so costs differ), and workspaces that are clones of one checkout (same config, same
 * `manifests/.workspace-id`), as CI machines checking out one commit are.
 */
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { readParquet, type CliRun } from './cli-rig.ts';

export const PUBS = { alpha: 3, beta: 5, gamma: 8, delta: 13, epsilon: 21 } as const;
export const PERIODS = ['2024-01', '2024-02'] as const;
export type Pub = keyof typeof PUBS;

/** The CSV of a publication's period: `rows(pub) + i` data rows, so the second period has one more. */
export function csvOf(pub: Pub, period: string): { text: string; rows: number } {
  const rows = PUBS[pub] + PERIODS.indexOf(period as (typeof PERIODS)[number]);
  const lines = ['Region,Measure,Value'];
  for (let i = 0; i < rows; i++) lines.push(`R${i % 4},${pub} measure ${i},${(i + 1) * 7 + period.length}`);
  return { text: lines.join('\n') + '\n', rows };
}

export async function publishingServer(): Promise<TestServer> {
  const server = await startTestServer();
  for (const pub of Object.keys(PUBS) as Pub[]) {
    for (const period of PERIODS) server.set(`/files/${pub}-data-${period}.csv`, { body: csvOf(pub, period).text, headers: { 'content-type': 'text/csv' } });
  }
  return server;
}

export function configText(server: TestServer): string {
  const lines = ['publications:'];
  for (const pub of Object.keys(PUBS)) {
    lines.push(`  ${pub}:`, `    name: ${pub} statistics`, '    periods:');
    for (const period of PERIODS) lines.push(`      - period: ${period}`, `        url: ${server.url}/files/${pub}-data-${period}.csv`);
  }
  return lines.join('\n') + '\n';
}

/** A checkout: the config and a committed workspace id (every clone of it is the same workspace). */
export async function checkout(dir: string, server: TestServer): Promise<string> {
  await mkdir(join(dir, 'config'), { recursive: true });
  await mkdir(join(dir, 'manifests'), { recursive: true });
  await writeFile(join(dir, 'config/publications.yaml'), configText(server));
  await writeFile(join(dir, 'manifests/.workspace-id'), 'shard-test-workspace\n');
  return dir;
}

/** A clone of a checkout's config and manifests (not its downloads, cache or output). */
export async function cloneOf(from: string, to: string): Promise<string> {
  await mkdir(to, { recursive: true });
  await cp(join(from, 'config'), join(to, 'config'), { recursive: true });
  await cp(join(from, 'manifests'), join(to, 'manifests'), { recursive: true });
  return to;
}

/** JSON lines of a CLI run's stdout. */
export const eventsOf = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
export const ranKeys = (events: Record<string, unknown>[]) => events.filter((e) => e.event === 'target-end' && e.outcome === 'ran').map((e) => String(e.key)).sort();
export const outcomeOf = (run: CliRun | { events: Record<string, unknown>[] }, key: string) => run.events.find((e) => e.event === 'target-end' && e.key === key)?.outcome;

/** Every table's Parquet in a workspace: file name → rows (every column), sorted, as plain JSON. */
export async function parquetTables(ws: string): Promise<Record<string, string[]>> {
  const dir = join(ws, 'output/parquet');
  const out: Record<string, string[]> = {};
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.parquet')).sort()) {
    const { columns } = await readParquet(join(dir, f));
    const { rows } = await readParquet(join(dir, f), columns);
    out[f] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort();
  }
  return out;
}
