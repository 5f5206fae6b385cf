/**
 * Hints as this command line would follow them. Rules and the download layer write their hints for the default
 * workspace (`config/publications.yaml`, `` `build --refresh` ``); here they name the config file actually used
 * and carry the `-C DIR` and `--config FILE` in force, so a hint copied into the shell acts on the same workspace.
 */
import { isAbsolute, join, relative } from 'node:path';
import type { GlobalOptions } from './args.ts';

const DEFAULT_CONFIG = 'config/publications.yaml';
const COMMANDS = 'build|status|explain|clean|watch|rename|discover|archive|restore|report|ls|sql|graph|doctor';

export function hintLocaliser(g: Pick<GlobalOptions, 'dir' | 'config'>, cwd: string): (hint: string) => string {
  const elsewhere = relative(cwd, isAbsolute(g.dir) ? g.dir : join(cwd, g.dir)) !== '';
  const ownConfig = g.config !== DEFAULT_CONFIG;
  if (!elsewhere && !ownConfig) return (h) => h;
  const configPath = relative(cwd, join(isAbsolute(g.dir) ? g.dir : join(cwd, g.dir), g.config)) || g.config;
  const flags = `${elsewhere ? ` -C ${quote(g.dir)}` : ''}${ownConfig ? ` --config ${quote(g.config)}` : ''}`;
  const command = new RegExp(`(\`(?:npx tsx )?(?:\\./)?(?:pipeline\\.ts )?)(${COMMANDS})\\b`, 'g');
  return (h) => h.split(DEFAULT_CONFIG).join(configPath).replace(command, (_, pre: string, cmd: string) => `${pre}${cmd}${flags}`);
}

function quote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
