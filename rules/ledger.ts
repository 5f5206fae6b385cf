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

export function fileLedger(dir: string): FailureLedger {
  return {
    async read(key) {
      try {
        return JSON.parse(await readFile(ledgerPath(dir, key), 'utf8')) as FailureRecord;
      } catch {
        return undefined;
      }
    },
    write: (record) => writeFileAtomic(ledgerPath(dir, record.target), JSON.stringify(record, null, 2) + '\n'),
    clear: (key) => rm(ledgerPath(dir, key), { force: true }),
  };
}
