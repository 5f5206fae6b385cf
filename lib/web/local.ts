/**
 * Local files as download sources: `file:///abs/path` or a path relative to the config folder is
 * read from disk and stored exactly like a download (same hashing, naming and index entry), with
 * the URL recorded as written so a workspace stays relocatable.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DownloadError } from './errors.ts';
import { isDataFileUrl } from './links.ts';
import { sanitiseFileName } from './names.ts';
import { DEFAULT_MAX_BYTES, type FetchOptions, type FetchResult } from './options.ts';
import type { IndexEntry } from './store.ts';
import { streamIntoStore, tooLarge } from './stream.ts';

/** Read a local file into the store (no HTTP). Re-read when refreshing or when size/mtime changed. */
export async function fetchLocal(
  url: string,
  path: string,
  existing: IndexEntry | undefined,
  blobOk: boolean,
  opts: FetchOptions,
): Promise<FetchResult> {
  const blobWasMissing = existing !== undefined && !blobOk;
  const missing = (why: string): DownloadError =>
    new DownloadError({
      url,
      kind: 'local-missing',
      summary: `Local file ${path} ${why} (written as ${JSON.stringify(url)}, resolved against ${opts.baseDir})`,
      hint: 'check the path in config/publications.yaml; relative paths are resolved against the folder of the config file',
    });
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw missing('does not exist');
    }
    throw err;
  }
  if (!st.isFile()) throw missing('is not a regular file');
  const mtime = st.mtime.toISOString();
  // A local file costs one stat to check, so an edited file is picked up even without refresh.
  const unchangedOnDisk = existing !== undefined && existing.size === st.size && existing.lastModified === mtime;
  if (existing && blobOk && !opts.refresh && unchangedOnDisk) {
    return { entry: existing, fetched: false, notModified: false, blobWasMissing };
  }
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (st.size > maxBytes) throw tooLarge(url, st.size, maxBytes);
  const name = sanitiseFileName(basename(path));
  const rejectHtml = opts.expect === 'data' || (opts.expect !== 'page' && isDataFileUrl(path));
  const stream = createReadStream(path, opts.signal ? { signal: opts.signal } : {});
  let stored: { sha256: string; size: number };
  try {
    stored = await streamIntoStore(opts.store, stream, { url, name, maxBytes, rejectHtml });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw err;
  }
  const now = opts.deps?.now ?? (() => new Date());
  const same = existing !== undefined && blobOk && existing.sha256 === stored.sha256 && existing.name === name;
  const entry: IndexEntry = same
    ? { ...existing, lastModified: mtime }
    : { url, sha256: stored.sha256, size: stored.size, name, lastModified: mtime, downloadedAt: now().toISOString() };
  const type = contentTypeForName(name);
  if (!same && type) entry.contentType = type;
  await opts.store.put(entry);
  return { entry, fetched: !same, notModified: same, blobWasMissing };
}

const TYPES: Record<string, string> = {
  csv: 'text/csv',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  zip: 'application/zip',
  html: 'text/html',
  htm: 'text/html',
};

function contentTypeForName(name: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return ext ? TYPES[ext] : undefined;
}
