/**
 * Manifests on disk: `manifests/<stage>/<pub>/<period>.yaml`, YAML with a `provenance` block (what the
 * manifest was built from) above the body. The output digest is the digest of the body alone, so the record
 * lives inside the file it describes; editing the body by hand shows up as "output modified" and the stage is
 * rebuilt (config overrides are the way to change what a stage produces).
 *
 * Finding a manifest's record asks the build log first: a manifest whose stat signature is unchanged is not
 * parsed again. The YAML parser is loaded only when a manifest is actually read or written.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRead, digestOf, type Digest, type Found, type TargetRecord } from '../../engine/index.ts';
import { writeFileAtomic } from '../../lib/atomic.ts';
import type { OrphanQuery, StageOrphans } from '../stage.ts';
import type { Workspace } from '../workspace.ts';

export interface Manifest<B> { provenance: TargetRecord; body: B }

/** The first line of every manifest: how `clean` tells a manifest the pipeline wrote from anything else. */
export const MANIFEST_HEADER = '# Written by nhs-pipeline. Do not edit: change config/publications.yaml (overrides) instead.\n';

const yaml = () => import('yaml');

/** Parses manifest text; undefined when it is not a manifest (treated as never built). */
async function parseManifest<B>(text: string): Promise<Manifest<B> | undefined> {
  try {
    const { parse } = await yaml();
    const { provenance, ...body } = parse(text) as { provenance: TargetRecord } & Record<string, unknown>;
    if (!provenance || typeof provenance !== 'object') return undefined;
    return { provenance, body: body as B };
  } catch {
    return undefined;
  }
}

/** Reads a manifest file; undefined when missing or unreadable. */
export async function readManifestFile<B>(path: string): Promise<Manifest<B> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseManifest<B>(text);
}

/** What the build log keeps of a manifest: its record, the digest of its body, and the stage's summary of it. */
interface Known { record: TargetRecord; current: Digest; summary?: unknown }

/** The manifests of one stage, as its rule's store. */
export class ManifestStore<B extends object> {
  readonly #dir: string;

  /**
   * @param summarize what others need to know of a manifest without parsing it (the tables a canonical
   *   manifest names, say): kept in the build log beside its record.
   */
  constructor(private readonly ws: Workspace, readonly stage: string, private readonly summarize?: (body: B) => unknown) {
    this.#dir = join(ws.paths.manifests, stage);
  }

  /** The manifest is the whole output (its record in its `provenance:` block). */
  files(id: string): string[] {
    return [this.path(id)];
  }

  path(id: string): string {
    const i = id.indexOf('/');
    return join(this.#dir, id.slice(0, i), `${id.slice(i + 1)}.yaml`);
  }

  /** The record in the manifest's provenance block and the digest of its body as it is now. */
  async find(id: string): Promise<Found | undefined> {
    // Read on behalf of this target's decision (the deps log of rules/noop-proof.ts pins a change on it).
    const known = await this.#known(id, `${this.stage}:${id}`);
    return known && { record: known.record, current: known.current };
  }

  /** The stage's summary of the manifest (see the constructor), from the build log while the file is unchanged. */
  async summary(id: string): Promise<unknown> {
    return (await this.#known(id))?.summary;
  }

  async #known(id: string, asker?: string): Promise<Known | undefined> {
    const path = this.path(id);
    const sig = this.ws.log.signature(path, asker);
    if (!sig) return undefined;
    const known = this.ws.log.lookup<Known | null>('manifest', path, sig);
    if (known !== undefined) return known ?? undefined;
    const m = await readManifestFile<B>(path);
    const found = m && this.#entry(m.provenance, digestOf(m.body), m.body);
    this.ws.log.remember('manifest', path, sig, found ?? null);
    return found;
  }

  #entry(record: TargetRecord, current: Digest, body: B): Known {
    return { record, current, ...(this.summarize ? { summary: this.summarize(body) } : {}) };
  }

  /** The manifest's body, for rules that `need` it. */
  async read(id: string): Promise<B> {
    if (this.ws.checkReads) checkRead(`${this.stage}:${id}`);
    const m = await readManifestFile<B>(this.path(id));
    if (!m) throw new Error(`${this.stage} manifest of ${id} is missing or unreadable (${this.path(id)})`);
    return m.body;
  }

  /**
   * Writes a manifest atomically and returns its output digest. The digest is taken from the body as it will
   * read back (after a YAML round trip), so a reader recomputes exactly the same value.
   */
  async write(id: string, provenance: Omit<TargetRecord, 'output'>, body: B): Promise<{ output: Digest; value: B }> {
    const { parse, stringify } = await yaml();
    const bodyText = stringify(body, { lineWidth: 0, aliasDuplicateObjects: false });
    const value = parse(bodyText) as B;
    const output = digestOf(value);
    const provText = stringify({ provenance: { ...provenance, output } }, { lineWidth: 0 });
    const path = this.path(id);
    await writeFileAtomic(path, MANIFEST_HEADER + provText + bodyText);
    this.ws.log.remember('manifest', path, this.ws.log.signature(path, `${this.stage}:${id}`), this.#entry({ ...provenance, output }, output, value));
    return { output, value };
  }

  /** Manifests of periods no longer configured, for `clean` (the walk is loaded only then). */
  async orphans(q: OrphanQuery): Promise<StageOrphans> {
    const { manifestOrphans } = await import('./manifest-orphans.ts');
    return manifestOrphans(this)(q);
  }

  /** Every manifest file of this stage: `{ id, path }`, ids as `pub/period`. */
  async list(): Promise<{ id: string; path: string }[]> {
    const out: { id: string; path: string }[] = [];
    for (const pub of await readdir(this.#dir, { withFileTypes: true }).catch(() => [])) {
      if (!pub.isDirectory()) continue;
      for (const f of await readdir(join(this.#dir, pub.name)).catch(() => [] as string[])) {
        if (f.endsWith('.yaml')) out.push({ id: `${pub.name}/${f.slice(0, -'.yaml'.length)}`, path: join(this.#dir, pub.name, f) });
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
