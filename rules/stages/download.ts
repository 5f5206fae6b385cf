/**
 * download: `pub/period` → `manifests/download/<pub>/<period>.yaml`, the files behind the period URL
 * (a direct file, or every data file a publication page links), their bytes in the content-addressed
 * store. The manifest, not the store, is the record: deleting `downloads/` rebuilds nothing; bytes are
 * fetched again only when a stale rule needs them. Remote URLs are asked again only with `--refresh`
 * (conditional requests); local files (paths, `file:` URLs) are tracked by content.
 */
import { relative } from 'node:path';
import type { DataLink, IndexEntry } from '../../lib/web/index.ts';
import { lastPathSegment } from '../../lib/web/names.ts';
import { localPath } from '../../lib/web/source.ts';
import type { FileRef } from '../blobs.ts';
import type { PeriodSetting } from '../sources.ts';
import type { Stage } from '../stage.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { isConfigured, splitId, type Workspace } from '../workspace.ts';

export interface DownloadBody {
  publication: string;
  period: string;
  url: string;
  kind: 'file' | 'page';
  page?: FileRef;
  /** For a page: its title, for descriptions. */
  title?: string;
  /** For a page: the visible text of the link to each file (same order as `files`; '' for an icon link). */
  link_texts?: string[];
  files: FileRef[];
}

/** Local files are inputs by content, keyed relative to the workspace so a moved clone stays up to date. */
export const fileKey = (ws: Workspace, path: string) => `file:${relative(ws.paths.root, path)}`;

const ref = (e: IndexEntry): FileRef => ({ url: e.url, name: e.name, sha256: e.sha256, size: e.size });

export const download: Stage<DownloadBody> = {
  name: 'download',
  // 2: a page's title and the text of its links, for descriptions.
  version: '2',
  grain: 'period',
  rule(ws) {
    const store = new ManifestStore<DownloadBody>(ws, 'download');
    return {
      name: 'download',
      version: download.version,
      store,
      exists: (id) => isConfigured(ws.rawConfig, id),
      staticInputs: (id) => {
        const [code, period] = splitId(id);
        const url = ws.rawConfig.publications.find((p) => p.code === code)?.periods.find((e) => e.period.label === period)?.url;
        const local = url === undefined ? undefined : localPath(url, ws.rawConfig.dir);
        return local ? [`config:${id}`, fileKey(ws, local)] : [`config:${id}`];
      },
      async run(ctx) {
        const entry = await ctx.need<PeriodSetting>(`config:${ctx.id}`);
        const [code, period] = splitId(ctx.id);
        const baseDir = entry.baseDir;
        const local = localPath(entry.url, baseDir);
        if (local) await ctx.need(fileKey(ws, local));
        const { fetchPeriod } = await import('../../lib/web/period.ts');
        const { fileNameMatcher } = await import('../../lib/config/files.ts');
        const matches = entry.files && fileNameMatcher(entry.files);
        const got = await fetchPeriod(entry.url, {
          ...(matches ? { select: (link: DataLink) => matches(lastPathSegment(link.url)), selection: `files: ${entry.files!.join(', ')}` } : {}),
          store: await ws.downloads(),
          baseDir,
          refresh: ws.refresh,
          signal: ctx.signal,
          deps: ws.web,
          // Waits are said as they happen, without -v: a build waiting on a server must not look hung.
          onRetry: (r) => ctx.log(`${r.reason} from ${r.url}: trying again in ${Math.max(1, Math.round(r.waitMs / 1000))} s (attempt ${r.attempt + 1})`, 'notice'),
          onNotice: (message) => ctx.log(message, 'notice'),
          onProgress: (message) => ctx.log(message, 'progress'),
        });
        if (got.kind === 'file' && entry.files) ctx.log(`files: ${entry.files.join(', ')} ignored: ${entry.url} is a file, not a page that links files`);
        if (got.refused) ctx.log(`ignored ${got.refused.length} link${got.refused.length === 1 ? '' : 's'} of the remote page that leave http(s), which a remote page may not follow: ${got.refused.join(', ')}`, 'notice');
        // Files linked from a local page are local too: track their content like the page's.
        for (const f of got.files) {
          const p = localPath(f.url, baseDir);
          if (p && p !== local) await ctx.need(fileKey(ws, p));
        }
        const body: DownloadBody = {
          publication: code,
          period,
          url: entry.url,
          kind: got.kind,
          ...(got.page ? { page: ref(got.page) } : {}),
          ...(got.title ? { title: got.title } : {}),
          ...(got.links ? { link_texts: got.links.map((l) => l.text) } : {}),
          files: got.files.map(ref),
        };
        const n = got.files.length;
        const { output, value } = await store.write(ctx.id, ctx.provenance(), body);
        return { output, value, summary: `${n} file${n === 1 ? '' : 's'}, ${got.fetchedCount} fetched`, stats: { files: n, fetched: got.fetchedCount } };
      },
    };
  },
};
