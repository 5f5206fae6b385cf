/**
 * The embedded database's folder as a stat signature: what a proof of nothing to do and the registry's cached view
 * compare to notice any write to the database, by any process, without opening it. Its own module, because a
 * proven no-op needs it and nothing else of the registry (rules/noop-proof.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf } from '../../engine/digest.ts';

/**
 * A digest of every file under the embedded database's folder (path, size, mtime, ctime, inode): any write to
 * the database, by any process, changes it. `absent` when there is no database yet.
 */
export function pgliteFingerprint(dir: string): string {
  return pgliteState(dir).fingerprint;
}

/** The fingerprint, and when the newest file under the folder last changed (ms; for the racy check of a proof). */
export function pgliteState(dir: string): { fingerprint: string; newestMs: number } {
  const parts: string[] = [];
  let newestMs = 0;
  const walk = (d: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const st = statSync(join(d, name), { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(join(d, name), `${rel}${name}/`);
      else {
        parts.push(`${rel}${name}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`);
        newestMs = Math.max(newestMs, st.mtimeMs, st.ctimeMs);
      }
    }
  };
  walk(dir, '');
  return { fingerprint: parts.length ? digestOf(parts) : 'absent', newestMs };
}
