/**
 * Proof that there is nothing to do, checked by `stat` alone.
 *
 * When a build (or a plan) of a selection decides that every target is up to date, what that decision read is
 * known: every file whose signature the build log looked at (manifests, Parquet files, the config, local source
 * files), the embedded database's fingerprint or the server's registry digest, and the pipeline's own code. They
 * are kept in `.cache/noop-proof.json`. The next build of the same selection first checks them: if every file
 * still has the signature it had (and is not racy against the proof, as in the build log), the database is as it
 * was and the code has not changed, the same inputs give the same decisions, so it replays "up to date" for
 * every target without loading the build log, the config or the engine. Anything that differs, however small,
 * and the build decides as usual. Like the build log, it is a cache: deleting it changes no decision.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { digestOf } from '../engine/digest.ts';
import { writeFileAtomic } from '../lib/atomic.ts';
import { statSignature } from '../lib/build-log.ts';
import type { Workspace } from './workspace.ts';
import { pgliteState } from './stores/registry.ts';

const FORMAT = 'nhs-pipeline-noop-proof';
const VERSION = 1;
/** Proofs kept, one per selection (the most recent ones). */
const KEEP = 8;
const CODE_ROOT = resolve(import.meta.dirname, '..');

/** What a build was asked: the same question with the same inputs has the same answer. */
export interface Selection {
  root: string;
  /** The target arguments as given, and the options that change decisions. */
  args: string[];
  dryRun: boolean;
  configFile: string;
  /** The database, without its password. */
  database: string;
  /** What of the language model's settings decides (lib/llm `settingsIdentity`): the model, and whether it may be asked. */
  llm?: string;
}

interface Proof {
  /** `[path, signature key or null for absent]` of every file the decision read. */
  files: [string, string | null][];
  /** The embedded database's fingerprint, when the decision read it. */
  pglite?: string;
  /** The server's registry digest (lib/db/changes.ts), when the decision read it. */
  registry?: string;
  workspaceId?: string;
  /** Every target decided, all up to date. */
  keys: string[];
}
interface ProofFile { format: string; version: number; proofs: Record<string, Proof> }

const proofPath = (root: string) => join(root, '.cache', 'noop-proof.json');

/** The selection's key, with the pipeline's code in it: an edited rule must never be vouched for by an old proof. */
function selectionKey(sel: Selection): string {
  return digestOf({ ...sel, root: resolve(sel.root), code: codeSignature() });
}

/** Signatures of the pipeline's own source files (engine, rules, lib). */
function codeSignature(): string {
  const parts: string[] = [];
  for (const dir of ['engine', 'rules', 'lib']) {
    for (const name of (readdirSync(join(CODE_ROOT, dir), { recursive: true }) as string[]).sort()) {
      if (name.endsWith('.ts')) parts.push(`${dir}/${name}:${statSignature(join(CODE_ROOT, dir, name))?.key}`);
    }
  }
  return digestOf(parts);
}

/**
 * The targets a build of `sel` would find up to date, when the proof holds; undefined when it does not (then
 * decide as usual). `registryDigest` reads the server's digest (only asked when the proof has one).
 */
export async function proveNothingToDo(sel: Selection, registryDigest: (workspaceId: string) => Promise<string>): Promise<string[] | undefined> {
  let file: ProofFile;
  let writtenMs: number;
  try {
    writtenMs = statSignature(proofPath(sel.root))?.changedMs ?? 0;
    file = JSON.parse(readFileSync(proofPath(sel.root), 'utf8')) as ProofFile;
  } catch {
    return undefined;
  }
  if (file?.format !== FORMAT || file.version !== VERSION) return undefined;
  const proof = file.proofs?.[selectionKey(sel)];
  if (!proof) return undefined;
  for (const [path, key] of proof.files) {
    const sig = statSignature(path);
    if ((sig?.key ?? null) !== key || (sig && sig.changedMs >= writtenMs)) return undefined;
  }
  if (proof.pglite !== undefined) {
    const now = pgliteState(join(sel.root, '.pglite'));
    if (now.fingerprint !== proof.pglite || now.newestMs >= writtenMs) return undefined;
  }
  if (proof.registry !== undefined && (!proof.workspaceId || (await registryDigest(proof.workspaceId).catch(() => '')) !== proof.registry)) return undefined;
  return proof.keys;
}

/**
 * Keeps the proof of a decision that found every target up to date. Call before the workspace closes, and only
 * when the database was not opened (then its state is what the build log vouched for).
 */
export async function recordNothingToDo(ws: Workspace, sel: Selection, keys: string[], registry?: { digest: string; workspaceId: string }): Promise<void> {
  const { files, named } = ws.log.consulted();
  const proof: Proof = {
    files: [...files].map(([path, sig]) => [path, sig?.key ?? null]),
    keys,
    ...(named.has('registry') ? { pglite: named.get('registry') } : {}),
    ...(registry ? { registry: registry.digest, workspaceId: registry.workspaceId } : {}),
  };
  if (ws.embedded && keys.some((k) => k.startsWith('loaded:')) && proof.pglite === undefined) return; // the database was read, not vouched for
  let file: ProofFile = { format: FORMAT, version: VERSION, proofs: {} };
  try {
    const old = JSON.parse(readFileSync(proofPath(sel.root), 'utf8')) as ProofFile;
    if (old?.format === FORMAT && old.version === VERSION) file = old;
  } catch {
    // none yet, or unreadable: start afresh
  }
  const key = selectionKey(sel);
  delete file.proofs[key];
  file.proofs[key] = proof;
  const all = Object.keys(file.proofs);
  for (const k of all.slice(0, Math.max(0, all.length - KEEP))) delete file.proofs[k];
  // Every file it vouches for must be older than the proof itself (the racy rule): let the clock tick past them.
  const newest = Math.max(0, ...[...files.values()].map((s) => (s && s.changedMs <= Date.now() + 20 ? s.changedMs : 0)));
  const wait = newest + 20 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait) + 1));
  await writeFileAtomic(proofPath(sel.root), JSON.stringify(file));
}
