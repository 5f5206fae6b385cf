/**
 * Manifests on disk: YAML with a `provenance` block (what the manifest was built from) above the body.
 * The output digest is the digest of the body alone, so the record can live inside the file it describes;
 * editing the body by hand shows up as "output modified" and the stage is rebuilt (use config overrides
 * to change what a stage produces).
 */
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { digestOf, type Digest, type TargetRecord } from '../engine/index.ts';
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
