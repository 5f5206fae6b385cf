/**
 * The embedded database's first creation, from a template. PGlite creates a cluster by running initdb in a second
 * WebAssembly instance beside its own: 4.3 s and a 914 MB peak, half of it still held while the first build's
 * drafts run beside it. The cluster initdb writes is the same every time, so one is kept with the pipeline
 * (`pglite-template/pglite-<version>.tgz`, PGlite's own `dumpDataDir`, 4.5 MB) and a new workspace's database is
 * unpacked from it: 1.8 s and a 480 MB peak. The template is made by the installed PGlite (`npm run
 * pglite-template`); for another PGlite version none matches and initdb runs as before.
 *
 * While the cluster is unpacked, `.pglite.creating` beside it says so: a build killed meanwhile leaves it, and the
 * next one unpacks the cluster again instead of starting PostgreSQL on half of one. (PGlite opens the unpacked
 * cluster where it lies: no second instance, whose memory would be held until a garbage collection.)
 *
 * The template is unpacked here, streaming, before PGlite starts, rather than by PGlite (`loadDataDir`): PGlite
 * inflates the whole tarball and copies each file out of it, ~80 MB of buffers (38 MB of cluster, twice) that stay
 * resident until a major garbage collection, which in the example's first build came only after the loads. Measured
 * (./unpack.ts): opening a new database alone, same time, ~120 MB less resident; the example's first build, peak
 * RSS median 502 → 457 MB (its loads ~480 → ~400 MB; the peak is now where DuckDB joins them, at the first Parquet).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackTgz } from './unpack.ts';

/** The installed PGlite's version (its package.json, beside the module Node resolves). */
export function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the template for a PGlite version lives. */
export function templatePath(version = pgliteVersion()): string {
  return join(import.meta.dirname, 'pglite-template', `pglite-${version}.tgz`);
}

/** A cluster PostgreSQL can start: PG_VERSION, and no creation left unfinished. */
const ready = (dataDir: string) => existsSync(join(dataDir, 'PG_VERSION')) && !existsSync(creating(dataDir));

/** Present while a cluster is being unpacked: a build killed meanwhile leaves it, and the next one starts over. */
const creating = (dataDir: string) => `${dataDir}.creating`;

/**
 * Opens the database at `dataDir`, creating its cluster from the template first when it has none (or its creation
 * was cut short). Without a template for the installed PGlite, `open` runs PGlite's own initdb.
 */
export async function openWithTemplate<T>(dataDir: string, open: (dir: string) => Promise<T>): Promise<T> {
  if (ready(dataDir) || !existsSync(templatePath())) return open(dataDir);
  await mkdir(dirname(dataDir), { recursive: true }); // a workspace folder made by its first open, as before templates
  await writeFile(creating(dataDir), `${process.pid}\n`);
  // Nothing of a cluster whose creation did not finish is worth keeping: it holds no rows yet.
  await rm(dataDir, { recursive: true, force: true });
  await unpackTgz(templatePath(), dataDir);
  const db = await open(dataDir);
  await rm(creating(dataDir), { force: true });
  return db;
}
