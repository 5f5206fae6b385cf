/**
 * The bytes of a downloaded file, by content hash. The download store is a cache of bytes: when a blob
 * was deleted, it is fetched again on demand, and must come back identical to what the manifests recorded.
 */
import { fetchToStore } from '../lib/web/index.ts';
import type { Workspace } from './workspace.ts';

/** A file as the download manifest records it. */
export interface FileRef { url: string; name: string; sha256: string; size: number }

export class ChangedUpstreamError extends Error {
  constructor(readonly file: FileRef, readonly now: string) {
    super(`${file.url} changed since it was downloaded (sha256 ${file.sha256.slice(0, 12)} → ${now.slice(0, 12)}) and the old bytes are no longer in downloads/`);
  }
  get hint(): string {
    return 'run `build --refresh` to download the new version and rebuild what depends on it';
  }
}

/** Path of the file's bytes in the store, fetching them again if the blob is gone. */
export async function blobFor(ws: Workspace, file: FileRef, signal: AbortSignal): Promise<string> {
  const ref = { sha256: file.sha256, name: file.name };
  if (await ws.store.hasBlob(ref)) return ws.store.blobPath(ref);
  const { entry } = await fetchToStore(file.url, { store: ws.store, baseDir: ws.config.dir, signal, deps: ws.web, expect: 'data' });
  if (entry.sha256 !== file.sha256) throw new ChangedUpstreamError(file, entry.sha256);
  return ws.store.blobPath(entry);
}
