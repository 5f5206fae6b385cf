/**
 * Writes the embedded database's template for the installed PGlite (lib/db/pglite-template.ts): a cluster made by
 * PGlite's own initdb, dumped with `dumpDataDir`. Run after upgrading @electric-sql/pglite, and commit the file;
 * tests/db/pglite-template.test.ts fails until there is one for the installed version.
 *
 *   npm run pglite-template
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteVersion, templatePath } from '../lib/db/pglite-template.ts';

const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
try {
  const pg = await PGlite.create(join(dir, 'data'));
  const dump = await pg.dumpDataDir('gzip');
  await pg.close();
  await writeFile(templatePath(), Buffer.from(await dump.arrayBuffer()));
  console.log(`wrote ${templatePath()} (${dump.size} bytes) for PGlite ${pgliteVersion()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
