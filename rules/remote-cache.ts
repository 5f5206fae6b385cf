/**
 * The remote artifact store as a build cache (`build --remote s3://bucket/prefix`), for every stage whose output is
 * files (`StageStore.files`: the manifests of download, draft, enriched and canonical; each table's Parquet file
 * and its Markdown; the catalog). It wraps a stage's rule, so the engine knows nothing of it:
 *
 * - The action key of a target is a digest of its rule's name and version, its id, and the digests of its static
 *   inputs (what the engine brought up to date before the rule starts: the previous stage's manifest, the period's
 *   config entry). `cache/<rule>/<key>.json` holds the record the output was written with and each file's SHA-256;
 *   the files' bytes are stored once by content (`objects/sha256/…`, lib/remote/content.ts).
 * - Before running a stale target, the wrapper looks the key up. On a hit it needs every other input the record
 *   names (dynamic inputs: a table's `loads:`, which on a shared database are the same rows) and compares digests;
 *   when all agree it writes the fetched files (hashes checked) and asks the stage's own store what they are: the
 *   record and output must be the recorded ones. Nothing is built or downloaded. Otherwise the rule runs as usual.
 * - After a run, the files just written are pushed (bytes by content, then the key), so another machine finds them.
 *
 * The remote is unreachable or refuses: said once as a notice, and the build goes on without it (never a failure).
 */
import { readFile } from 'node:fs/promises';
import { digestOf, UNAVAILABLE, type RunContext, type TargetRecord } from '../engine/index.ts';
import { writeFileAtomic } from '../lib/atomic.ts';
import { PipelineError } from '../lib/failure.ts';
import type { Remote } from '../lib/remote/s3.ts';
import type { StageRule, StageStore } from './stage.ts';

/** Format 2: the output's files, in the order the store names them (format 1 held one manifest). */
interface Entry { format: 2; record: TargetRecord; files: { sha256: string; size: number }[] }

/** The remote (opened on first use: a build with nothing stale loads no S3 client) and a way to say it failed. */
export interface ArtifactCache { url: string; remote(): Promise<Remote>; trouble(message: string): void; close(): void }

type FileStore = StageStore & { files(id: string): string[] };
const hasFiles = (store: StageStore): store is FileStore => store.files !== undefined;

export function withRemoteCache(rule: StageRule, cache: ArtifactCache): StageRule {
  const store = rule.store;
  if (!hasFiles(store)) return rule;
  const statics = (id: string) => new Set(rule.staticInputs?.(id) ?? []);
  const keyOf = (ctx: RunContext) => {
    const inputs = Object.entries(ctx.provenance().inputs).filter(([k]) => statics(ctx.id).has(k)).sort();
    return `cache/${rule.name}/${digestOf({ rule: rule.name, version: rule.version, id: ctx.id, inputs })}.json`;
  };
  return {
    ...rule,
    async run(ctx: RunContext) {
      const key = keyOf(ctx);
      const hit = await fetchEntry(cache, key);
      if (hit && (await agrees(ctx, hit.entry))) {
        const fetched = await adopt(cache, store, ctx.id, hit.entry);
        if (fetched) return { ...fetched, summary: `fetched from ${cache.url} (built elsewhere)`, stats: { fetchedFromRemote: 1 } };
      }
      const out = await rule.run(ctx);
      await push(cache, key, store, ctx.id, out.output);
      return out;
    },
  };
}

/** Parses `s3://bucket/prefix` and opens it (endpoint and region as given; credentials from the caller). */
export async function openArtifactCache(
  url: string,
  where: { endpoint?: string; region?: string },
  credentials: import('../lib/remote/s3.ts').Credentials,
  trouble: (message: string) => void,
): Promise<ArtifactCache> {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (!m) throw new PipelineError({ kind: 'usage', message: `--remote must be s3://<bucket>/<prefix>, found "${url}"`, hint: 'bucket names are 3-63 lowercase letters, digits, dots and hyphens, e.g. --remote s3://nhs-cache/pipeline' });
  const settings = { url, bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, ''), ...(where.endpoint ? { endpoint: where.endpoint } : {}), ...(where.region ? { region: where.region } : {}) };
  let opened: Promise<Remote> | undefined;
  return {
    url: `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`,
    remote: () => (opened ??= import('../lib/remote/s3.ts').then(({ openRemote }) => openRemote(settings, credentials))),
    trouble,
    close: () => void opened?.then((r) => r.close(), () => undefined),
  };
}

async function fetchEntry(cache: ArtifactCache, key: string): Promise<{ entry: Entry } | undefined> {
  try {
    const bytes = await (await cache.remote()).getBytes(key);
    if (!bytes) return undefined;
    const entry = JSON.parse(Buffer.from(bytes).toString('utf8')) as Entry;
    return entry.format === 2 && Array.isArray(entry.files) ? { entry } : undefined;
  } catch (err) {
    cache.trouble(`the remote ${cache.url} could not be read (${(err as Error).message}); building instead`);
    return undefined;
  }
}

/** Every input the record names has, here and now, the digest it had there (the static ones are in the key). */
async function agrees(ctx: RunContext, entry: Entry): Promise<boolean> {
  if (entry.record.rule !== ctx.provenance().rule || entry.record.version !== ctx.provenance().version) return false;
  for (const [input, digest] of Object.entries(entry.record.inputs)) {
    if (digest === UNAVAILABLE) await ctx.needOptional(input);
    else await ctx.need(input);
    if (ctx.digestOf(input) !== digest) return false;
  }
  return true;
}

/**
 * Writes the fetched files where the store keeps them, each once its bytes are the ones recorded, then asks the
 * store what it finds: the record and the output must be the ones the entry names (else the target is built).
 */
async function adopt(cache: ArtifactCache, store: FileStore, id: string, entry: Entry) {
  const { contentKey, sha256Of } = await import('../lib/remote/content.ts');
  const paths = store.files(id);
  if (paths.length !== entry.files.length) return undefined;
  const fetched: Uint8Array[] = [];
  try {
    for (const f of entry.files) {
      const bytes = await (await cache.remote()).getBytes(contentKey(f.sha256));
      if (!bytes || sha256Of(bytes) !== f.sha256) return undefined;
      fetched.push(bytes);
    }
  } catch (err) {
    cache.trouble(`the remote ${cache.url} could not be read (${(err as Error).message}); building instead`);
    return undefined;
  }
  for (const [i, path] of paths.entries()) await writeFileAtomic(path, Buffer.from(fetched[i]));
  const found = await store.find(id);
  if (!found || found.record.output !== entry.record.output || found.current !== entry.record.output) return undefined;
  // Its value is read from the store when a dependent needs it, as for any target up to date.
  return { output: entry.record.output };
}

async function push(cache: ArtifactCache, key: string, store: FileStore, id: string, output: string): Promise<void> {
  try {
    const { contentKey, sha256Of } = await import('../lib/remote/content.ts');
    const found = await store.find(id);
    if (!found || found.record.output !== output) return;
    const remote = await cache.remote();
    const files: Entry['files'] = [];
    for (const path of store.files(id)) {
      const bytes = await readFile(path);
      const sha256 = sha256Of(bytes);
      const there = await remote.head(contentKey(sha256));
      if (!there || there.size !== bytes.length) await remote.putBytes(contentKey(sha256), bytes, { sha256, contentType: 'application/octet-stream' });
      files.push({ sha256, size: bytes.length });
    }
    const entry: Entry = { format: 2, record: found.record, files };
    const text = JSON.stringify(entry);
    await remote.putBytes(key, Buffer.from(text), { sha256: sha256Of(text), contentType: 'application/json' });
  } catch (err) {
    cache.trouble(`the remote ${cache.url} could not be written (${(err as Error).message}); what was built stays local`);
  }
}
