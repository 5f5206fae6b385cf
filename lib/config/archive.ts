/**
 * `archive:` and `retention:`, the two top-level settings of the object-storage archive.
 *
 * ```yaml
 * archive:
 *   url: s3://nhs-archive/pipeline            # bucket and key prefix
 *   endpoint: https://<account>.r2.cloudflarestorage.com   # R2, MinIO…; absent for AWS S3
 *   region: auto                              # optional
 * retention:
 *   keep_periods: 3                           # per publication, the newest 3 periods stay local once archived
 * ```
 *
 * Credentials are never read from the config: only from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
 */
import type { Entry, Reader } from './reader.ts';
import type { ArchiveSettings, RetentionSettings } from './types.ts';

const ARCHIVE_KEYS = ['url', 'endpoint', 'region', 'path_style'] as const;
const RETENTION_KEYS = ['keep_periods'] as const;
const ARCHIVE_EXAMPLE = 'archive:\n  url: s3://my-bucket/nhs-pipeline\n  endpoint: https://<account id>.r2.cloudflarestorage.com';
const SECRET_KEYS = /secret|access_key|password|token|credentials/i;

/**
 * `archive:` (or, the same shape, `remote:`, the build cache of `build --remote`); undefined when absent, null when
 * wrong (reported).
 */
export function readArchive(r: Reader, entry: Entry | undefined, name: 'archive' | 'remote' = 'archive'): ArchiveSettings | null | undefined {
  if (!entry) return undefined;
  if (r.isEmpty(entry) || !r.isMap(entry.value)) {
    r.error(r.at(entry), `\`${name}\` must be a mapping, found ${r.shape(entry.value)}`, `write, for example:\n${ARCHIVE_EXAMPLE}`);
    return null;
  }
  const keys = r.pairs(entry.value, ARCHIVE_KEYS, `\`${name}\``, (key) =>
    SECRET_KEYS.test(key)
      ? 'credentials never go in the config file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, and delete this key'
      : undefined,
  );
  const urlEntry = keys.get('url');
  if (!urlEntry) {
    r.missing(r.at(entry), 'url', `\`${name}\``, 'add `url: s3://<bucket>/<prefix>`');
    return null;
  }
  const url = (r.textValue(urlEntry, `of \`${name}\``, 'write `url: s3://<bucket>/<prefix>`') ?? '').trim();
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) {
    r.error(r.at(urlEntry), `\`url\` of \`${name}\` must be \`s3://<bucket>/<prefix>\`, found \`${url}\``, 'bucket names are 3-63 lowercase letters, digits, dots and hyphens, e.g. `url: s3://nhs-archive/pipeline`');
    return null;
  }
  let failed = false;
  const text = (key: string, hint: string): string | undefined => {
    const e = keys.get(key);
    if (!e) return undefined;
    const v = r.textValue(e, `of \`${name}\``, hint)?.trim();
    if (!v) {
      r.error(r.at(e), `\`${key}\` of \`${name}\` is empty`, hint);
      failed = true;
      return undefined;
    }
    return v;
  };
  const endpoint = text('endpoint', 'the S3 API address, e.g. `https://<account id>.r2.cloudflarestorage.com` or `http://127.0.0.1:9000` for MinIO');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/i.test(endpoint)) {
    r.error(r.at(keys.get('endpoint')!), `\`endpoint\` of \`${name}\` must be an http(s) address, found \`${endpoint}\``, 'e.g. `endpoint: https://<account id>.r2.cloudflarestorage.com`');
    failed = true;
  }
  const region = text('region', 'e.g. `region: eu-west-2` (AWS) or `region: auto` (R2)');
  let pathStyle: boolean | undefined;
  const ps = keys.get('path_style');
  if (ps) {
    const v = r.textValue(ps, `of \`${name}\``, 'write `path_style: true` or `path_style: false`');
    if (v !== 'true' && v !== 'false') {
      r.error(r.at(ps), `\`path_style\` of \`${name}\` must be true or false, found \`${v ?? ''}\``, 'write `path_style: true` or `path_style: false`');
      failed = true;
    } else pathStyle = v === 'true';
  }
  if (failed) return null;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { url, bucket: m[1]!, prefix, ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(pathStyle !== undefined ? { pathStyle } : {}) };
}

/** `retention:`; undefined when absent, null when wrong (reported). */
export function readRetention(r: Reader, entry: Entry | undefined): RetentionSettings | null | undefined {
  if (!entry) return undefined;
  const hint = 'write, for example:\nretention:\n  keep_periods: 3';
  if (r.isEmpty(entry) || !r.isMap(entry.value)) {
    r.error(r.at(entry), `\`retention\` must be a mapping, found ${r.shape(entry.value)}`, hint);
    return null;
  }
  const keys = r.pairs(entry.value, RETENTION_KEYS, '`retention`');
  const keep = keys.get('keep_periods');
  if (!keep) {
    r.missing(r.at(entry), 'keep_periods', '`retention`', hint);
    return null;
  }
  const v = r.textValue(keep, 'of `retention`', hint) ?? '';
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    r.error(r.at(keep), `\`keep_periods\` must be a whole number of periods, at least 1, found \`${v}\``, 'the newest N periods of each publication stay local; older archived periods are removed locally (never from the archive)');
    return null;
  }
  return { keepPeriods: Number(v) };
}
