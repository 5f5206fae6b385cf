/**
 * Content digests: SHA-256 of bytes and of canonical JSON. Content, never timestamps, decides what is stale.
 * (Files are hashed by whoever reads them: the engine never touches the disk.)
 */
import { createHash } from 'node:crypto';

/** A lowercase hex SHA-256 digest. */
export type Digest = string;

/** SHA-256 of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): Digest {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * JSON with object keys sorted at every level, so equal values always serialise to equal text
 * (and so hash equally) whatever order they were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** SHA-256 of a value's canonical JSON. */
export function digestOf(value: unknown): Digest {
  return sha256(canonicalJson(value));
}
