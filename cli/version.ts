/** The program's version, as package.json says (`--version`, `doctor`). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
