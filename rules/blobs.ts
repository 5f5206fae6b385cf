/**
 * The bytes of a downloaded file, by content hash. The download store is a cache of bytes: when a blob
 * was deleted, it is fetched again on demand, and must come back identical to what the manifests recorded.
 */
import { PipelineError } from '../lib/failure.ts';
import type { Workspace } from './workspace.ts';

/** A file as the download manifest records it. */
export interface FileRef { url: string; name: string; sha256: string; size: number }

/** Path of the file's bytes in the store, fetching them again if the blob is gone. */
export async function blobFor(ws: Workspace, file: FileRef, signal: AbortSignal): Promise<string> {
  const store = await ws.downloads();
  const ref = { sha256: file.sha256, name: file.name };
  if (await store.hasBlob(ref)) return store.blobPath(ref);
  const { fetchToStore } = await import('../lib/web/fetch.ts');
  const { entry } = await fetchToStore(file.url, { store, baseDir: ws.rawConfig.dir, signal, deps: ws.web, expect: 'data' });
  if (entry.sha256 !== file.sha256) {
    throw new PipelineError({
      kind: 'input',
      message: `${file.url} changed since it was downloaded (sha256 ${file.sha256.slice(0, 12)} → ${entry.sha256.slice(0, 12)}) and the old bytes are no longer in downloads/`,
      hint: 'run `build --refresh` to download the new version and rebuild what depends on it',
      location: file.url,
    });
  }
  return store.blobPath(entry);
}
