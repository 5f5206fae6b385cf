/**
 * The embedded database's state as a stat signature: what a proof of nothing to do and the registry's cached view
 * compare to notice any write to the database, by any process, without opening it. Its own module, because a
 * proven no-op needs it and nothing else of the registry (rules/noop-proof.ts).
 */
import { join } from 'node:path';
import { digestOf } from '../../engine/digest.ts';
import { statSignature } from '../../lib/build-log.ts';

/** The name the registry's view is kept under in the build log, with the signature below as its fingerprint. */
export const REGISTRY_VIEW = 'registry';

/**
 * The signature (size, mtime, ctime, inode) of the database's control file, `global/pg_control`: PostgreSQL rewrites
 * it when the database starts (StartupXLOG) and again when it shuts down (the checkpoint), so no process can have
 * changed the database, opened it at all, or put another copy of it in place (a restored backup, a new cluster:
 * another inode or ctime, whatever mtime a copy kept) without changing it. Stat-ing that one file replaces walking
 * the ~1,000 files of the folder (34 ms of a 0.5 s no-op). `absent` when there is no database yet.
 */
export function pgliteFingerprint(dir: string): string {
  return pgliteState(dir).fingerprint;
}

/** The fingerprint, and when the control file last changed (ms; for the racy check of a proof). */
export function pgliteState(dir: string): { fingerprint: string; newestMs: number } {
  const sig = statSignature(join(dir, 'global', 'pg_control'));
  if (!sig) return { fingerprint: 'absent', newestMs: 0 };
  return { fingerprint: digestOf(`pg_control:${sig.key}`), newestMs: sig.changedMs };
}
