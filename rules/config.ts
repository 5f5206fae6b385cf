/**
 * The config file, parsed once per change: the build log keeps the validated config by the file's stat
 * signature, so a build with nothing to do neither loads the YAML parser nor validates again.
 */
import { resolve } from 'node:path';
import type { BuildLog } from '../lib/build-log.ts';
import type { PipelineConfig } from '../lib/config/types.ts';

/** Bump when parsing or validation changes what a config means: cached parses are then ignored. */
// 2: `files:` patterns as written, `discover:`, `archive:` and `retention:`.
const PARSE_VERSION = '2';

/** Loads and validates `file` (as given, for positions; resolved against `root`); throws ConfigError when invalid. */
export async function loadConfigLogged(root: string, file: string, log: BuildLog): Promise<PipelineConfig> {
  const path = resolve(root, file);
  const kind = `config@${PARSE_VERSION}:${path}`;
  const sig = log.signature(path);
  const known = log.lookup<PipelineConfig>(kind, path, sig);
  if (known) return known;
  const { loadConfig } = await import('../lib/config/index.ts');
  const config = await loadConfig(path);
  log.remember(kind, path, sig, config);
  return config;
}
