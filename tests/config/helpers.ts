/** Shared helpers for the config tests. */
import { ConfigError, parseConfig } from '../../lib/config/index.ts';

/** The file name the config tests parse their texts as. */
export const FILE = 'config/publications.yaml';

/** The ConfigError that parsing `text` throws (fails the test when it does not throw one). */
export function failure(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}
