/**
 * Content-addressed objects on a {@link Remote}: `objects/sha256/<first two hex>/<sha256>`, each stored once
 * whatever refers to it, each verified by hash when fetched. The archive keeps every period's files here and lists
 * them by name in the period's `manifest.json`; a remote build cache (manifests, Parquet slices and source files
 * fetched instead of rebuilt) can find anything here by the digest its records already hold.
 *
 * Uploading is idempotent: an object already there (same key, same size) is not sent again, so a second run
 * uploads nothing and an interrupted one resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hashFile } from '../atomic.ts';
import { PipelineError } from '../failure.ts';
import type { Remote } from './s3.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/** The key of the object holding these bytes. */
export function contentKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`"${sha256}" is not a SHA-256 hex digest`);
  return `objects/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

export const sha256Of = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Uploads the file unless its bytes are there already; says whether it sent them. */
export async function putContent(remote: Remote, path: string, sha256: string, size: number): Promise<boolean> {
  const key = contentKey(sha256);
  const there = await remote.head(key);
  if (there && there.size === size) return false;
  await remote.putFile(key, path, { sha256, size });
  return true;
}

/**
 * Fetches the object with these bytes to `dest` (atomically) and checks its hash: a wrong or missing object is an
 * error and leaves nothing at `dest`.
 */
export async function getContent(remote: Remote, sha256: string, dest: string, signal?: AbortSignal): Promise<void> {
  const key = contentKey(sha256);
  const got = await remote.getFile(key, dest, signal);
  if (!got) throw new PipelineError({ kind: 'input', message: `${remote.url}/${key} is missing from the archive`, hint: 'the archive is incomplete: archive the period again from a workspace that still has it' });
  const actual = (await hashFile(dest)).sha256;
  if (actual !== sha256) {
    await rm(dest, { force: true });
    throw new PipelineError({ kind: 'input', message: `${remote.url}/${key} holds other bytes than recorded (sha256 ${actual.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…); nothing was restored from it`, hint: 'the object was changed or damaged in the bucket: archive the period again from a workspace that still has it' });
  }
}
