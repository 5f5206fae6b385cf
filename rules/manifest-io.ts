/**
 * Manifests on disk: YAML with a `provenance` block (what the manifest was built from) above the body.
 * The output digest is the digest of the body alone, so the record can live inside the file it describes;
 * editing the body by hand shows up as "output modified" and the stage is rebuilt (use config overrides
 * to change what a stage produces).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { digestOf, type Digest, type Rule, type RunContext, type TargetRecord } from '../engine/index.ts';
import { writeFileAtomic } from '../lib/atomic.ts';

export interface Manifest<B> { provenance: TargetRecord; body: B }

const HEADER = '# Written by nhs-pipeline. Do not edit: change config/publications.yaml (overrides) instead.\n';

/** Reads a manifest; undefined when missing or unreadable (treated as never built). */
export async function readManifest<B>(path: string): Promise<Manifest<B> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const { provenance, ...body } = parse(text) as { provenance: TargetRecord } & Record<string, unknown>;
    if (!provenance || typeof provenance !== 'object') return undefined;
    return { provenance, body: body as B };
  } catch {
    return undefined;
  }
}

/** Digest of a manifest body as it reads back from disk. */
export function bodyDigest(body: unknown): Digest {
  return digestOf(body);
}

/**
 * Writes a manifest atomically and returns its output digest. The digest is taken from the body as it
 * will read back (after a YAML round trip), so a reader recomputes exactly the same value.
 */
export async function writeManifest(path: string, provenance: Omit<TargetRecord, 'output'>, body: object): Promise<Digest> {
  const bodyText = stringify(body, { lineWidth: 0, aliasDuplicateObjects: false });
  const output = bodyDigest(parse(bodyText));
  const provText = stringify({ provenance: { ...provenance, output } }, { lineWidth: 0 });
  await writeFileAtomic(path, HEADER + provText + bodyText);
  return output;
}

/** What a manifest stage computes for one publication period; the stage writes it and keeps the record. */
export interface ManifestStage<B extends object> {
  name: string;
  version: string;
  staticInputs?: (id: string) => string[];
  /** Whether `pub/period` is still configured (see {@link Rule.exists}). */
  exists?: (id: string) => boolean;
  build(ctx: RunContext, publication: string, period: string): Promise<{ body: B; summary?: string; stats?: Record<string, number> }>;
}

/**
 * A rule whose target is `manifests/<stage>/<pub>/<period>.yaml`: its record is the manifest's provenance
 * block and its output digest the digest of the body, for every manifest stage alike.
 */
export function manifestRule<B extends object>(root: string, stage: ManifestStage<B>): Rule {
  const path = (id: string) => {
    const [pub, period] = [id.slice(0, id.indexOf('/')), id.slice(id.indexOf('/') + 1)];
    return join(root, stage.name, pub, `${period}.yaml`);
  };
  return {
    name: stage.name,
    version: stage.version,
    ...(stage.staticInputs ? { staticInputs: stage.staticInputs } : {}),
    ...(stage.exists ? { exists: stage.exists } : {}),
    readRecord: async (id) => (await readManifest(path(id)))?.provenance,
    currentOutput: async (id) => {
      const m = await readManifest(path(id));
      return m && bodyDigest(m.body);
    },
    async run(ctx) {
      const i = ctx.id.indexOf('/');
      const { body, summary, stats } = await stage.build(ctx, ctx.id.slice(0, i), ctx.id.slice(i + 1));
      const output = await writeManifest(path(ctx.id), ctx.provenance(), body);
      return { output, summary, stats };
    },
  };
}
