/**
 * Writing a response body (or a local file's bytes) into the store safely: stream into a temp file
 * inside `downloads/`, hash and count on the way, check the size limit, the expected length and
 * that the bytes are not an HTML page, then rename into `downloads/<sha256>/<name>`. Every failure
 * path, including aborts, removes the temp file.
 */
import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { DownloadError } from './errors.ts';
import type { DownloadStore } from './store.ts';

/**
 * Stream bytes into a temp file in the store, hashing as they arrive; verify length, size limit and
 * (optionally) that the body is not HTML; then move the file to its blob path. The temp file is
 * removed on every failure path, including aborts.
 */
export async function streamIntoStore(
  store: DownloadStore,
  body: AsyncIterable<Uint8Array>,
  o: { url: string; name: string; maxBytes: number; rejectHtml: boolean; expectedLength?: number },
): Promise<{ sha256: string; size: number }> {
  const tmp = await store.tempPath();
  const fh = await open(tmp, 'wx');
  let closed = false;
  try {
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (const chunk of body) {
      size += chunk.length;
      if (size > o.maxBytes) throw tooLarge(o.url, size, o.maxBytes, true);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= SNIFF_BYTES) {
          if (o.rejectHtml && looksLikeHtml(head)) throw htmlNotData(o.url);
          head = undefined;
        }
      }
      hash.update(chunk);
      await fh.write(chunk);
    }
    if (head !== undefined && o.rejectHtml && looksLikeHtml(head)) throw htmlNotData(o.url);
    if (o.expectedLength !== undefined && size !== o.expectedLength) {
      throw new Error(`received ${size} of ${o.expectedLength} bytes`);
    }
    await fh.close();
    closed = true;
    const sha256 = hash.digest('hex');
    await store.adoptBlob(tmp, { sha256, name: o.name });
    return { sha256, size };
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** How many leading bytes are inspected to tell an HTML page from a data file. */
const SNIFF_BYTES = 1024;

/** Whether a body starts like an HTML document (`<!doctype html`, `<html`, `<head`, `<body`). */
export function looksLikeHtml(head: Uint8Array): boolean {
  let s = Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('latin1');
  // Skip a UTF-8 BOM, whitespace, comments and an XML prolog (XHTML); Excel 2003 XML workbooks
  // continue with `<?mso-application` / `<Workbook`, so they are not mistaken for pages.
  s = s
    .replace(/^\xef\xbb\xbf/, '')
    .replace(/^(\s|<!--[\s\S]*?-->|<\?xml[^>]*\?>)+/, '')
    .toLowerCase();
  return s.startsWith('<!doctype html') || s.startsWith('<html') || s.startsWith('<head') || s.startsWith('<body');
}

/** Content types that promise a spreadsheet, CSV or ZIP (so an HTML body is a wrong answer). */
export function promisesData(contentType: string | undefined): boolean {
  return contentType !== undefined && /spreadsheet|excel|csv|zip|opendocument/i.test(contentType);
}

/** The terminal error for an HTML page where a data file was expected. */
export function htmlNotData(url: string): DownloadError {
  return new DownloadError({
    url,
    kind: 'html-not-data',
    summary: `${url}: the server returned an HTML page instead of a spreadsheet (login page or error page?)`,
    hint:
      'open the URL in a browser; if it is a publication page, use it as the period URL, otherwise fix the file URL in config/publications.yaml',
  });
}

/** The terminal error for a body over the size limit (`streaming`: counted so far, no Content-Length). */
export function tooLarge(url: string, size: number, maxBytes: number, streaming = false): DownloadError {
  return new DownloadError({
    url,
    kind: 'too-large',
    summary: `${url} is larger than the ${formatBytes(maxBytes)} limit (${streaming ? `stopped after ${formatBytes(size)}` : formatBytes(size)})`,
    hint: 'check that the URL is the intended file; raise the download size limit if it really is this large',
  });
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
