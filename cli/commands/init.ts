/**
 * `init [DIR]`: a new workspace: DIR/config/publications.yaml, commented (the same guide as the shipped config's
 * header) with one publication to start from, checked by the config parser before it is written; and a .gitignore
 * for the stores that are rebuilt from it. An existing config is never overwritten.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseConfig } from '../../lib/config/index.ts';
import { PipelineError } from '../../lib/failure.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, type Io } from '../io.ts';

const START = `publications:
  # One publication to start from: quarterly ADHD management information, one release.
  # \`npx tsx pipeline.ts discover adhd\` lists its newer releases; \`--write\` adds them here.
  adhd:
    name: ADHD Management Information
    landing_page: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd
    periods:
      - period: 2025-05
        url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025

  # A file of your own: a path relative to this file (or a file: URL) works like a web address.
  # my_extract:
  #   name: My extract
  #   periods:
  #     - period: 2025-04
  #       url: ../data/extract-2025-04.csv
`;

const GITIGNORE = `# Rebuilt from config/ and manifests/ by \`pipeline.ts build\`
/downloads/
/output/
/.pglite/
/.cache/
`;

export async function initCommand(io: Io, p: Parsed): Promise<number> {
  if (p.positionals.length > 1) throw new UsageError('init takes at most one folder, e.g. `init my-workspace`');
  const root = resolve(p.global.dir, p.positionals[0] ?? '.');
  const file = resolve(root, p.global.config);
  const text = `${await guide()}\n${START}`;
  parseConfig(text, file); // what init writes is a config that validates, or nothing is written
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new PipelineError({ kind: 'usage', message: `${file} already exists: init never overwrites a config`, hint: 'edit it, or run init in another folder (`init DIR`)' });
  }
  const ignore = join(root, '.gitignore');
  const wroteIgnore = await writeFile(ignore, GITIGNORE, { flag: 'wx' }).then(() => true, () => false);
  const shown = relative(io.cwd, root) || '.';
  if (p.global.json) {
    io.stdout.write(JSON.stringify({ event: 'init', workspace: root, config: file, ...(wroteIgnore ? { gitignore: ignore } : {}) }) + '\n');
  } else {
    io.stdout.write(`Created ${file}${wroteIgnore ? ` and ${ignore}` : ''}.\nNext:\n` +
      `  npx tsx pipeline.ts build -n -C ${shown}     what a build would do\n` +
      `  npx tsx pipeline.ts build -C ${shown}        download and load it (embedded PostgreSQL, nothing to install)\n`);
  }
  return EXIT.ok;
}

/** How to read and edit the config: the comment at the head of the shipped config/publications.yaml, kept in one place. */
async function guide(): Promise<string> {
  const shipped = await readFile(join(import.meta.dirname, '../../config/publications.yaml'), 'utf8');
  return shipped.slice(0, shipped.indexOf('\npublications:') + 1);
}
