/**
 * Where a config URL points: an HTTP(S) resource or a file on disk.
 *
 * Config may say `https://...`, `file:///abs/path` or a plain path relative to the config file's
 * folder. The index always records the string exactly as written, so a workspace that uses relative
 * paths can be moved or cloned without invalidating its downloads.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DownloadError } from './errors.ts';

/** A resolved download source. */
export type Source = { kind: 'http'; href: string } | { kind: 'file'; path: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;

/** Resolve a config URL/path against `baseDir` (the config file's folder). */
export function resolveSource(url: string, baseDir: string): Source {
  const scheme = WINDOWS_DRIVE.test(url) ? undefined : SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: resolve(baseDir, url) };
  if (scheme === 'http' || scheme === 'https') {
    let href: string;
    try {
      href = new URL(url).href;
    } catch {
      throw new DownloadError({
        url,
        kind: 'http',
        summary: `Malformed URL ${JSON.stringify(url)}`,
        hint: 'fix the URL in config/publications.yaml',
      });
    }
    return { kind: 'http', href };
  }
  if (scheme === 'file') {
    // `file:data/x.csv` (no `//`) is a path relative to the config file, like a plain path; WHATWG parsing
    // would make it `/data/x.csv`, a file the user never named.
    if (!/^file:\/\//i.test(url)) return { kind: 'file', path: resolve(baseDir, decodeURI(url.slice('file:'.length))) };
    try {
      return { kind: 'file', path: fileURLToPath(url) };
    } catch (err) {
      throw new DownloadError({
        url,
        kind: 'local-missing',
        summary: `Unusable file URL ${JSON.stringify(url)} (${(err as Error).message})`,
        hint: 'write file URLs as file:///absolute/path, or use a path relative to the config file',
      });
    }
  }
  throw new DownloadError({
    url,
    kind: 'http',
    summary: `Unsupported URL scheme "${scheme}:" in ${JSON.stringify(url)}`,
    hint: 'use an http(s):// URL, a file:/// URL or a path relative to the config file',
  });
}

/**
 * The file a config URL names (a path, relative to `baseDir` or absolute, or a `file:` URL), or undefined for
 * http(s) and for URLs that name no usable file (those fail with their reason when downloaded).
 */
export function localPath(url: string, baseDir: string): string | undefined {
  try {
    const source = resolveSource(url, baseDir);
    return source.kind === 'file' ? source.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a link found on a page should be written in the index: `file:` links become paths relative to
 * `baseDir` with forward slashes (so a moved or cloned workspace still resolves them); anything else
 * is returned unchanged.
 */
export function toConfigUrl(linkUrl: string, baseDir: string): string {
  if (!/^file:/i.test(linkUrl)) return linkUrl;
  const abs = fileURLToPath(linkUrl);
  const rel = relative(resolve(baseDir), abs);
  if (rel === '' || isAbsolute(rel)) return linkUrl; // other drive on Windows: keep absolute
  return rel.split(sep).join('/');
}
