/**
 * The failure ledger on disk: `manifests/failures/<rule>/<pub>/<id>.json`, one file per target, so concurrent
 * targets never write the same file; the file is removed when the target next succeeds. It lives beside the
 * manifests (and is committed with them), not in `.cache/`, which stays disposable.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { splitKey, type FailureLedger, type FailureRecord, type TargetKey } from '../engine/index.ts';
import { writeFileAtomic } from '../lib/atomic.ts';

export function ledgerDir(manifests: string): string {
  return join(manifests, 'failures');
}

/** Where a target's failure record lives: ids are `pub/period` or `pub/table`; anything unusual is encoded. */
export function ledgerPath(dir: string, key: TargetKey): string {
  const { rule, id } = splitKey(key);
  const safe = id.split('/').map((p) => encodeURIComponent(p).replace(/^\.+/, '%2E')).join('/');
  return join(dir, rule, `${safe || '_'}.json`);
}

/**
 * Where the last transient failure of each target is noted (`.cache/attempts/`, same layout): for `status` only.
 * In `.cache/`, not beside the ledger, because it decides nothing (the next build retries regardless) and
 * describes this machine's network at one moment, which is not worth committing and is safe to delete.
 */
export function attemptsDir(cache: string): string {
  return join(cache, 'attempts');
}

async function readRecord(path: string): Promise<FailureRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as FailureRecord;
  } catch {
    return undefined;
  }
}

/** The last transient failure noted for `key`, if it has not succeeded or failed for good since. */
export function lastAttempt(cache: string, key: TargetKey): Promise<FailureRecord | undefined> {
  return readRecord(ledgerPath(attemptsDir(cache), key));
}

export function fileLedger(dir: string, cache?: string): FailureLedger {
  const noted = cache === undefined ? undefined : attemptsDir(cache);
  return {
    read: (key) => readRecord(ledgerPath(dir, key)),
    async write(record) {
      await writeFileAtomic(ledgerPath(dir, record.target), JSON.stringify(record, null, 2) + '\n');
      if (noted) await rm(ledgerPath(noted, record.target), { force: true });
    },
    async clear(key) {
      await rm(ledgerPath(dir, key), { force: true });
      if (noted) await rm(ledgerPath(noted, key), { force: true });
    },
    ...(noted ? { attempted: (record: FailureRecord) => writeFileAtomic(ledgerPath(noted, record.target), JSON.stringify(record, null, 2) + '\n') } : {}),
  };
}
