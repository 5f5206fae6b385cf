/**
 * Chaos workspaces: a few periods of real sample files (CSV and workbooks, one table fed by two periods, a
 * local file that is edited), on either database backend, sized so that one build takes seconds.
 *
 * Two configs: `base`, and `edited` (more periods, and the local file with 50 more rows), so that an
 * incremental build adds a period to a table that already has rows and replaces a loaded slice. The edit only
 * adds: a table's column types only ever widen (README), so an edit that removed the only text value of a
 * column would leave it text where a clean build makes it integer, by design. Every workspace has the same
 * identity (manifests/.workspace-id), so registry rows compare across workspaces.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { makeTestDb } from '../../tests/rig/db.ts';

export type Backend = 'pglite' | 'postgres';
export type Size = 'ci' | 'full';

const SAMPLES = join(import.meta.dirname, '../../tests/fixtures/nhs-samples');
const WORKSPACE_ID = 'chaos-0000-workspace';
const PCN = join(SAMPLES, 'pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv');

/**
 * The periods of each config: publication → [period, url relative to config/ or absolute][]. The edit adds a
 * period to a table that has rows (PCN April, the March file less its first 100 rows, with the same columns).
 * `full` adds legacy .xls workbooks (A&E, three tables a period) and tables fed by periods whose columns differ
 * (OAPs 2016-10, 2016-12, 2017-02; RTT Jun22 and Jul23), whose column order depends on which period loads
 * first (issue 14, hole 2); `ci` has none of those, so that its outcome is the same on every run.
 */
export function periods(size: Size, config: 'base' | 'edited'): Record<string, [string, string][]> {
  const s = (p: string) => join(SAMPLES, p);
  const out: Record<string, [string, string][]> = {
    oaps: [['2016-10', s('out-of-area-placements/oaps-open-data-oct-2016.csv')]],
    rtt_overview: [['2022-06', s('rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx')]],
    pcn: [['2020-03', '../data/pcn.csv']],
  };
  if (config === 'edited') out.pcn!.push(['2020-04', '../data/pcn-april.csv']);
  if (size === 'full') {
    out.oaps!.push(['2016-12', s('out-of-area-placements/oaps-open-data-dec-2016.csv')]);
    if (config === 'edited') out.oaps!.push(['2017-02', s('out-of-area-placements/oaps-open-data-feb-2017.csv')]);
    out.rtt_overview!.push(['2023-07', s('rtt-waiting-times/rtt-data_RTT-Overview-Timeseries-Jul23.xlsx')]);
    out.ae = [['2024-01', s('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-January-2024.xls')]];
    if (config === 'edited') out.ae.push(['2024-03', s('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2024.xls')]);
  }
  return out;
}

export interface ChaosWorkspace {
  root: string;
  backend: Backend;
  /** The server database of this workspace (postgres), or undefined (the embedded one in .pglite). */
  databaseUrl?: string;
  /** Switches to a config and the local file that goes with it. */
  setConfig(config: 'base' | 'edited'): Promise<void>;
  /** A copy of this workspace (files and database) in a new folder and database. */
  clone(): Promise<ChaosWorkspace>;
  cleanup(): Promise<void>;
}

/** A new, empty workspace with `config` and a fresh database. */
export async function makeWorkspace(backend: Backend, size: Size, config: 'base' | 'edited'): Promise<ChaosWorkspace> {
  const root = await mkdtemp(join(tmpdir(), `nhs-chaos-${backend}-`));
  await mkdir(join(root, 'manifests'), { recursive: true });
  await writeFile(join(root, 'manifests/.workspace-id'), `${WORKSPACE_ID}\n`);
  // A database that exists but holds nothing (as a CI server does): the embedded one from the test template.
  const db = await makeTestDb(backend, root);
  const ws = wrap(root, backend, size, db.databaseUrl, () => db.cleanup());
  await ws.setConfig(config);
  return ws;
}

function wrap(root: string, backend: Backend, size: Size, databaseUrl: string | undefined, dropDb: () => Promise<void>): ChaosWorkspace {
  return {
    root,
    backend,
    ...(databaseUrl ? { databaseUrl } : {}),
    async setConfig(config) {
      const lines = ['publications:'];
      for (const [code, list] of Object.entries(periods(size, config))) {
        lines.push(`  ${code}:`, `    name: ${code}`, '    periods:');
        for (const [period, url] of list) lines.push(`      - period: ${period}`, `        url: ${JSON.stringify(url)}`);
      }
      await mkdir(join(root, 'config'), { recursive: true });
      await writeFile(join(root, 'config/publications.yaml'), `${lines.join('\n')}\n`);
      // `base` has the local file without its last 50 rows; the edit restores them: the slice is replaced.
      const pcn = (await readFile(PCN)).toString('latin1').split('\r\n');
      await mkdir(join(root, 'data'), { recursive: true });
      await writeFile(join(root, 'data/pcn.csv'), Buffer.from((config === 'base' ? [...pcn.slice(0, -51), ''] : pcn).join('\r\n'), 'latin1'));
      await writeFile(join(root, 'data/pcn-april.csv'), Buffer.from([pcn[0], ...pcn.slice(101)].join('\r\n'), 'latin1'));
    },
    async clone() {
      const copy = await mkdtemp(join(tmpdir(), `nhs-chaos-${backend}-`));
      await cp(root, copy, { recursive: true, preserveTimestamps: true });
      if (backend === 'pglite') return wrap(copy, backend, size, undefined, async () => undefined);
      const url = await copyDatabase(databaseUrl!);
      return wrap(copy, backend, size, url.toString(), () => dropDatabase(url));
    },
    async cleanup() {
      await dropDb();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `CREATE DATABASE … TEMPLATE …`: the server's own copy, seconds faster than loading again. */
async function copyDatabase(from: string): Promise<URL> {
  const source = new URL(from);
  const url = new URL(from);
  url.pathname = `/nhs_chaos_${randomBytes(6).toString('hex')}`;
  await admin(from, `CREATE DATABASE ${url.pathname.slice(1)} TEMPLATE ${source.pathname.slice(1)}`);
  return url;
}

async function dropDatabase(url: URL): Promise<void> {
  const name = url.pathname.slice(1);
  // Only the killed builds' own connections: an autovacuum worker in the copy is the server's (a superuser process,
  // which this role may not terminate), and DROP DATABASE stops it itself.
  await admin(url.toString(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND usename = current_user`);
  await admin(url.toString(), `DROP DATABASE IF EXISTS ${name}`);
}

/** One statement on the server's maintenance database (`postgres`), so the one named in `url` can be created or dropped. */
async function admin(url: string, sql: string): Promise<void> {
  const server = new URL(url);
  server.pathname = `/${new URL(process.env.DATABASE_URL ?? url).pathname.slice(1) || 'postgres'}`;
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
