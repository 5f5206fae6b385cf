/**
 * download: `pub/period` → `manifests/download/<pub>/<period>.yaml`, the files behind the period URL
 * (a direct file, or every data file a publication page links), their bytes in the content-addressed
 * store. The manifest, not the store, is the record: deleting `downloads/` rebuilds nothing; bytes are
 * fetched again only when a stale rule needs them. Remote URLs are asked again only with `--refresh`
 * (conditional requests); local files (paths, `file:` URLs) are tracked by content.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rule } from '../engine/index.ts';
import { fileNameMatcher } from '../lib/config/index.ts';
import { fetchPeriod, lastPathSegment, type DataLink, type IndexEntry } from '../lib/web/index.ts';
import { manifestRule } from './manifest-io.ts';
import { isConfigured, publication, splitId, type Workspace } from './workspace.ts';
import type { FileRef } from './blobs.ts';

export interface DownloadBody {
  publication: string;
  period: string;
  url: string;
  kind: 'file' | 'page';
  page?: FileRef;
  files: FileRef[];
}

/** The local path behind a URL as written in config, or undefined for http(s). */
export function localPath(url: string, baseDir: string): string | undefined {
  if (/^https?:/i.test(url)) return undefined;
  if (/^file:/i.test(url)) return url.startsWith('file:///') || url.startsWith('file://localhost/') ? fileURLToPath(url) : resolve(baseDir, decodeURI(url.slice(5)));
  return isAbsolute(url) ? url : resolve(baseDir, url);
}

/** Local files are inputs by content, keyed relative to the workspace so a moved clone stays up to date. */
const fileKey = (ws: Workspace, path: string) => `file:${relative(ws.paths.root, path)}`;

/** A page's links whose file names match the period's `files:` patterns. */
function selectFiles(patterns: string[]): (link: DataLink) => boolean {
  const matches = fileNameMatcher(patterns);
  return (link) => matches(lastPathSegment(link.url));
}

const ref = (e: IndexEntry): FileRef => ({ url: e.url, name: e.name, sha256: e.sha256, size: e.size });

export function downloadRule(ws: Workspace): Rule {
  return manifestRule<DownloadBody>(ws.paths.manifests, {
    name: 'download',
    version: '1',
    exists: (id) => isConfigured(ws, id),
    staticInputs: (id) => {
      const [code, period] = splitId(id);
      const url = ws.config.publications.find((p) => p.code === code)?.periods.find((e) => e.period.label === period)?.url;
      const local = url === undefined ? undefined : localPath(url, ws.config.dir);
      return local ? [`config:${id}`, fileKey(ws, local)] : [`config:${id}`];
    },
    async build(ctx, code, period) {
      const entry = publication(ws, code).periods.find((e) => e.period.label === period);
      if (!entry) throw new Error(`period ${period} is no longer configured for ${code}`);
      await ctx.need(`config:${code}/${period}`);
      const baseDir = ws.config.dir;
      const local = localPath(entry.url, baseDir);
      if (local) await ctx.need(fileKey(ws, local));
      const got = await fetchPeriod(entry.url, {
        ...(entry.files ? { select: selectFiles(entry.files), selection: `files: ${entry.files.join(', ')}` } : {}),
        store: ws.store,
        baseDir,
        refresh: ws.refresh,
        signal: ctx.signal,
        deps: ws.web,
        onRetry: (r) => ctx.log(`retry ${r.attempt} for ${r.url} in ${Math.round(r.waitMs / 1000)}s: ${r.reason}`),
      });
      if (got.kind === 'file' && entry.files) ctx.log(`files: ${entry.files.join(', ')} ignored: ${entry.url} is a file, not a page that links files`);
      // Files linked from a local page are local too: track their content like the page's.
      for (const f of got.files) {
        const p = localPath(f.url, baseDir);
        if (p && p !== local) await ctx.need(fileKey(ws, p));
      }
      const body: DownloadBody = { publication: code, period, url: entry.url, kind: got.kind, ...(got.page ? { page: ref(got.page) } : {}), files: got.files.map(ref) };
      const n = got.files.length;
      return { body, summary: `${n} file${n === 1 ? '' : 's'}, ${got.fetchedCount} fetched`, stats: { files: n, fetched: got.fetchedCount } };
    },
  });
}
