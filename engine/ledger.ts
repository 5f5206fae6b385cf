/**
 * The failure ledger: per target, the error of its last failed attempt, when, how many attempts, and the
 * inputs it had. A failed target is retried only when those inputs change or with `--retry-failed`
 * (a 404 for an unpublished month should not be hammered daily). Environmental failures (a server or a
 * database that could not be reached: `FailureInfo.environmental`) are not kept: the next build tries
 * again. One JSON file per target, so concurrent targets never write the same file; the file is removed
 * when the target next succeeds.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { splitKey, type TargetKey } from './rule.ts';
import type { Digest } from './digest.ts';

export interface FailureRecord {
  target: TargetKey;
  rule: string;
  version: string;
  error: string;
  hint?: string;
  /** ISO time of the last failed attempt. */
  at: string;
  attempts: number;
  /** Inputs resolved before the failure (a prefix of what a success would have needed). */
  inputs: Record<TargetKey, Digest>;
}

export class FailureLedger {
  constructor(private readonly dir: string) {}

  #path(key: TargetKey): string {
    const { rule, id } = splitKey(key);
    // ids are `pub/period` or `pub/table`: made of [a-z0-9_./-]; anything else is encoded.
    const safe = id.split('/').map((p) => encodeURIComponent(p).replace(/^\.+/, '%2E')).join('/');
    return join(this.dir, rule, `${safe || '_'}.json`);
  }

  async read(key: TargetKey): Promise<FailureRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(key), 'utf8')) as FailureRecord;
    } catch {
      return undefined;
    }
  }

  async write(record: FailureRecord): Promise<void> {
    const path = this.#path(record.target);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
    await rename(tmp, path);
  }

  async clear(key: TargetKey): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
