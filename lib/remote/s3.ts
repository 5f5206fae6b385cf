/**
 * Object storage through the S3 API (`@aws-sdk/client-s3`): AWS S3, Cloudflare R2, MinIO and anything else that
 * speaks it. A {@link Remote} is a bucket and key prefix with five operations: head, put (a file or bytes), get
 * (to a file, atomically) and list. Nothing here knows what the objects mean (see ./content.ts and lib/archive/).
 *
 * Credentials come only from the caller (who reads the environment): never from a file, never printed. Errors say
 * what failed and what to do, naming the access key id at most, never the secret.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { publishAtomic } from '../atomic.ts';
import { PipelineError } from '../failure.ts';
import type { ArchiveSettings } from '../config/types.ts';

export interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

/** What a stored object says of itself: its size and the SHA-256 it was stored with (user metadata). */
export interface ObjectInfo { size: number; sha256?: string }

/** A bucket and key prefix: keys given to it are relative to the prefix. */
export interface Remote {
  /** `s3://bucket/prefix`, for messages. */
  readonly url: string;
  head(key: string): Promise<ObjectInfo | undefined>;
  putFile(key: string, path: string, info: { sha256: string; size: number; contentType?: string }): Promise<void>;
  putBytes(key: string, bytes: Uint8Array, info: { sha256: string; contentType?: string }): Promise<void>;
  /** Writes the object to `dest` atomically; undefined (and nothing written) when it does not exist. */
  getFile(key: string, dest: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  getBytes(key: string): Promise<Uint8Array | undefined>;
  /** Keys under `prefix` (relative to the remote's prefix). */
  list(prefix: string): Promise<string[]>;
  close(): void;
}

/** The credentials the environment gives, or a usage error saying which variables to set. */
export function credentialsFrom(env: Record<string, string | undefined>): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new PipelineError({
      kind: 'usage',
      message: `the archive needs credentials: ${[!accessKeyId && 'AWS_ACCESS_KEY_ID', !secretAccessKey && 'AWS_SECRET_ACCESS_KEY'].filter(Boolean).join(' and ')} ${!accessKeyId && !secretAccessKey ? 'are' : 'is'} not set`,
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (for R2: an R2 API token\'s access key id and secret; for MinIO: a user\'s access and secret key); they are never read from the config or printed',
    });
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** Opens the configured bucket (no request is made until the first operation). */
export async function openRemote(settings: ArchiveSettings, credentials: Credentials): Promise<Remote> {
  const s3 = await import('@aws-sdk/client-s3');
  const client = new s3.S3Client({
    region: settings.region ?? (settings.endpoint ? 'auto' : 'us-east-1'),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.pathStyle ?? Boolean(settings.endpoint),
    credentials,
    // Checksums only where the API requires them: R2, MinIO and others reject or mishandle the SDK's newer defaults.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
  const { bucket } = settings;
  const full = (key: string) => (settings.prefix ? `${settings.prefix}/${key}` : key);
  const url = `s3://${bucket}${settings.prefix ? `/${settings.prefix}` : ''}`;
  const fail = (err: unknown, what: string) => explain(err, what, url, credentials.accessKeyId);
  return {
    url,
    async head(key) {
      try {
        const r = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: full(key) }));
        return { size: Number(r.ContentLength ?? 0), ...(r.Metadata?.sha256 ? { sha256: r.Metadata.sha256 } : {}) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw fail(err, `reading ${key}`);
      }
    },
    async putFile(key, path, info) {
      try {
        await client.send(new s3.PutObjectCommand({
          Bucket: bucket, Key: full(key), Body: createReadStream(path), ContentLength: info.size,
          ContentType: info.contentType ?? 'application/octet-stream', Metadata: { sha256: info.sha256 },
        }));
      } catch (err) {
        throw fail(err, `uploading ${key}`);
      }
    },
    async putBytes(key, bytes, info) {
      try {
        await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: full(key), Body: bytes, ContentType: info.contentType ?? 'application/octet-stream', Metadata: { sha256: info.sha256 } }));
      } catch (err) {
        throw fail(err, `uploading ${key}`);
      }
    },
    async getFile(key, dest, signal) {
      let r;
      try {
        r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: full(key) }), { abortSignal: signal });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw fail(err, `downloading ${key}`);
      }
      await publishAtomic(dest, (temp) => pipeline(r.Body as Readable, createWriteStream(temp)), signal);
      return { size: Number(r.ContentLength ?? 0), ...(r.Metadata?.sha256 ? { sha256: r.Metadata.sha256 } : {}) };
    },
    async getBytes(key) {
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        return await r.Body!.transformToByteArray();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw fail(err, `downloading ${key}`);
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const r = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: full(prefix), ContinuationToken: token }));
          for (const o of r.Contents ?? []) if (o.Key) keys.push(settings.prefix ? o.Key.slice(settings.prefix.length + 1) : o.Key);
          token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw fail(err, `listing ${prefix}`);
      }
      return keys.sort();
    },
    close: () => client.destroy(),
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket';
}

/** An S3 failure as the user should read it: what, where, what to do; never the secret. */
function explain(err: unknown, what: string, url: string, accessKeyId: string): PipelineError {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const where = `${what} in ${url}`;
  // A HEAD answer has no body, so the SDK cannot name the error: the status says enough.
  const code = name === 'Unknown' || name === 'Error' ? '' : name;
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'Forbidden'].includes(name) || status === 403) {
    return new PipelineError({
      kind: 'usage',
      message: `the archive refused the credentials (${[code, status && `HTTP ${status}`].filter(Boolean).join(', ')}) ${where}`,
      hint: `check AWS_ACCESS_KEY_ID (now ${mask(accessKeyId)}) and AWS_SECRET_ACCESS_KEY, and that this key may read and write the bucket`,
    });
  }
  if (name === 'NoSuchBucket') {
    return new PipelineError({ kind: 'usage', message: `the bucket of ${url} does not exist (${where})`, hint: 'create the bucket, or correct `archive: url:` in the config' });
  }
  const transient = status === undefined || status >= 500 || status === 429;
  return new PipelineError({
    kind: transient ? 'environment' : 'input',
    message: `${where} failed: ${name}${status ? ` (HTTP ${status})` : ''}${e?.message && e.message !== name ? `: ${e.message}` : ''}`,
    hint: transient ? 'check the network and `archive: endpoint:`, then run the command again: what was uploaded is kept and not sent again' : 'see the message; the archive is left as it was',
  });
}

/** An access key id as it may be shown: its first and last four characters. */
function mask(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
}
