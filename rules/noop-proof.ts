/**
 * Proof that there is nothing to do, checked by `stat` alone.
 *
 * When a build (or a plan) of a selection leaves every target up to date (each found so, or built without a
 * failure), what it read is known: every file whose signature the build log looked at (manifests, Parquet files,
 * the config, local source files), on whose behalf (which target's record, which `file:` source); every folder
 * whose presence it asked (the archive records' folder, which when absent answers for every period); the embedded
 * database's fingerprint or the server's registry digest, and the pipeline's own code; and each target's output
 * digest and recorded inputs. They are kept in `.cache/noop-proof/<selection>.json`. The next build of the same
 * selection first checks them: if every file still has the signature it had (and is not racy against the proof, as
 * in the build log), every folder is still there or still absent, the database is as it was and the code has not
 * changed, the same inputs give the same decisions, so it replays "up to date" for
 * every target without loading the build log, the config or the engine.
 *
 * When only files read on behalf of particular keys changed (one period's source file, one manifest), the proof
 * is a deps log: the targets that read none of them and depend on none that did are handed to the engine as
 * proven up to date (`BuildOptions.known`), and the engine decides the rest as usual. A change to a file read on
 * behalf of everything (the config), to the database or to the code, and the build decides everything. Like the
 * build log, it is a cache: deleting it changes no decision.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { digestOf } from '../engine/digest.ts';
import { writeFileAtomic } from '../lib/atomic.ts';
import { EVERYTHING, isFolder, settlePast, statSignature } from '../lib/build-log.ts';
import type { Workspace } from './workspace.ts';
import { pgliteState, REGISTRY_VIEW } from './stores/pglite-state.ts';

const FORMAT = 'nhs-pipeline-noop-proof';
const VERSION = 3;
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
  /** Every key the decision met (targets and their inputs); the lists below refer to keys by index here. */
  names: string[];
  /** Every target decided, all up to date: `[name, output digest, its recorded inputs]`. */
  targets: [number, string, number[]][];
  /**
   * `[path, signature key or null for absent, owners]` of every file the decision read. Owners: the keys whose
   * decision read it (their stores' records and outputs, a `file:` source), or null when read on behalf of
   * everything (the config, a walk over every manifest).
   */
  files: [string, string | null, number[] | null][];
  /** `[path, whether it was a folder]` of every folder whose presence the decision asked (on behalf of everything). */
  folders: [string, boolean][];
  /** The embedded database's fingerprint, when the decision read it. */
  pglite?: string;
  /** The server's registry digest (lib/db/changes.ts), when the decision read it. */
  registry?: string;
  workspaceId?: string;
}
interface ProofFile { format: string; version: number; proof: Proof }

/** What a target proven up to date brings to the engine (`BuildOptions.known`). */
export interface Proven { digest: string; inputs: string[] }

/**
 * What a proof says now. `all`: nothing changed, every target is up to date. `partial`: some files changed, each
 * read on behalf of known keys: the targets that neither read them nor depend on one that did are `known` up to
 * date; the engine decides the rest (a deps log, as Ninja's and Shake's). `carried` is what the next proof keeps
 * of this one for the targets it did not decide again.
 */
export type Verdict = { kind: 'all'; keys: string[] } | { kind: 'partial'; known: Map<string, Proven>; changed: string[]; carried: Carried };
/** The proof a partial verdict came from, as the next proof needs it (read only if nothing then runs). */
export type Carried = Pick<Proof, 'names' | 'files' | 'folders' | 'pglite'>;

/** One file per selection: a build reads only its own (eight selections' proofs in one file took 0.2 s to parse). */
const proofDir = (root: string) => join(root, '.cache', 'noop-proof');
const proofPath = (sel: Selection) => join(proofDir(sel.root), `${selectionKey(sel)}.json`);

/** The selection's key, with the pipeline's code in it: an edited rule must never be vouched for by an old proof. */
function selectionKey(sel: Selection): string {
  return digestOf({ ...sel, root: resolve(sel.root), code: codeSignature() });
}

/**
 * Signatures of the pipeline's own source files (engine, rules, lib), taken once per process: the code a build runs
 * is the code it loaded, and a proof recorded at its end must not name code edited meanwhile.
 */
let code: string | undefined;
function codeSignature(): string {
  return (code ??= signCode());
}

function signCode(): string {
  const parts: string[] = [];
  for (const dir of ['engine', 'rules', 'lib']) {
    for (const name of (readdirSync(join(CODE_ROOT, dir), { recursive: true }) as string[]).sort()) {
      if (name.endsWith('.ts')) parts.push(`${dir}/${name}:${statSignature(join(CODE_ROOT, dir, name))?.key}`);
    }
  }
  return digestOf(parts);
}

/**
 * What the proof of a build of `sel` says now (see {@link Verdict}); undefined when it says nothing (no proof, the
 * database or the code changed, a file read on behalf of everything changed): then decide as usual.
 * `registryDigest` reads the server's digest (only asked when the proof has one).
 */
export async function proveNothingToDo(sel: Selection, registryDigest: (workspaceId: string) => Promise<string>): Promise<Verdict | undefined> {
  let file: ProofFile;
  let writtenMs: number;
  try {
    const path = proofPath(sel);
    writtenMs = statSignature(path)?.changedMs ?? 0;
    file = JSON.parse(readFileSync(path, 'utf8')) as ProofFile;
  } catch {
    return undefined;
  }
  if (file?.format !== FORMAT || file.version !== VERSION || !file.proof) return undefined;
  const proof = file.proof;
  for (const [path, present] of proof.folders) if (isFolder(path) !== present) return undefined;
  const changed: number[] = [];
  for (const [i, [path, key, owners]] of proof.files.entries()) {
    const sig = statSignature(path);
    if ((sig?.key ?? null) === key && !(sig && sig.changedMs >= writtenMs)) continue;
    if (owners === null) return undefined;
    changed.push(i);
  }
  if (proof.pglite !== undefined) {
    const now = pgliteState(join(sel.root, '.pglite'));
    if (now.fingerprint !== proof.pglite || now.newestMs >= writtenMs) return undefined;
  }
  if (proof.registry !== undefined && (!proof.workspaceId || (await registryDigest(proof.workspaceId).catch(() => '')) !== proof.registry)) return undefined;
  if (changed.length === 0) return { kind: 'all', keys: proof.targets.map(([n]) => proof.names[n]) };

  const again = toDecideAgain(proof, changed);
  if (proof.targets.every(([n]) => again.has(n))) return undefined;
  const known = new Map<string, Proven>();
  for (const [n, digest, inputs] of proof.targets) if (!again.has(n)) known.set(proof.names[n], { digest, inputs: inputs.map((i) => proof.names[i]) });
  return { kind: 'partial', known, changed: changed.map((i) => proof.files[i][0]), carried: proof };
}

/**
 * The keys (by index) to decide again when `changed` files did: those that read one; and, to a fixed point,
 * every key that depends on one of them (recorded inputs), every key that read a file a target among them read
 * (its run may rewrite it: a table's Parquet file is read by the catalog's `parquet-set:all` too), and every key of the
 * same publication (its runs change what that publication's `loads:` and `llm:` sources say, which no file shows).
 */
function toDecideAgain(proof: Proof, changed: number[]): Set<number> {
  const dependents = new Map<number, number[]>();
  for (const [n, , inputs] of proof.targets) for (const i of inputs) (dependents.get(i) ?? dependents.set(i, []).get(i)!).push(n);
  const targets = new Set(proof.targets.map(([n]) => n));
  const filesOf = new Map<number, number[][]>();
  for (const [, , owners] of proof.files) for (const o of owners ?? []) (filesOf.get(o) ?? filesOf.set(o, []).get(o)!).push(owners!);
  const byPublication = new Map<string, number[]>();
  for (const [n, name] of proof.names.entries()) {
    const pub = publicationOf(name);
    if (pub) (byPublication.get(pub) ?? byPublication.set(pub, []).get(pub)!).push(n);
  }
  const again = new Set<number>();
  const publications = new Set<string>();
  const queue = changed.flatMap((i) => proof.files[i][2]!);
  while (queue.length) {
    const n = queue.pop()!;
    if (again.has(n)) continue;
    again.add(n);
    queue.push(...(dependents.get(n) ?? []));
    if (targets.has(n)) for (const owners of filesOf.get(n) ?? []) queue.push(...owners);
    const pub = publicationOf(proof.names[n]);
    if (pub && !publications.has(pub)) {
      publications.add(pub);
      queue.push(...byPublication.get(pub)!);
    }
  }
  return again;
}

/** `stage:pub/period`, `parquet:pub/table`, `config:pub#name`, `loads:pub/table` → `pub`; `file:…`, `catalog:all` → none. */
function publicationOf(key: string): string | undefined {
  if (key.startsWith('file:')) return undefined;
  const id = key.slice(key.indexOf(':') + 1);
  const end = id.search(/[/#]/);
  return end > 0 ? id.slice(0, end) : undefined;
}

/**
 * Keeps the proof of a build that left every target up to date (found so, or built): `decided`, each with its
 * output digest and recorded inputs, and every file the build consulted with its signature then (a file a rule wrote
 * after it was consulted shows as changed next time, and its readers are decided again). The database's state: on a
 * server its registry digest, taken while open; embedded, `pgliteNow`, its signature once this build shut it (call
 * after the workspace closed), else the one the build log vouched for. After a partial proof, `carried` brings what
 * this build did not read again: those files were checked unchanged when it started.
 */
export async function recordProof(ws: Workspace, sel: Selection, decided: { key: string; digest: string; inputs: string[] }[], registry?: { digest: string; workspaceId: string }, carried?: Carried, pgliteNow?: string): Promise<void> {
  const { files, named, askers, folders } = ws.log.consulted();
  const names: string[] = [];
  const index = new Map<string, number>();
  const at = (name: string) => index.get(name) ?? (index.set(name, names.push(name) - 1), names.length - 1);
  const targets = decided.map(({ key, digest, inputs }): [number, string, number[]] => [at(key), digest, inputs.map(at)]);
  const entries = new Map<string, [string, string | null, number[] | null]>();
  for (const [path, sig, owners] of carried?.files ?? []) entries.set(path, [path, sig, owners && owners.map((o) => at(carried!.names[o]))]);
  for (const [path, sig] of files) {
    const owners = askers.get(path);
    entries.set(path, [path, sig?.key ?? null, owners === undefined || owners === EVERYTHING ? null : [...owners].map(at)]);
  }
  const pglite = pgliteNow ?? named.get(REGISTRY_VIEW) ?? carried?.pglite;
  const proof: Proof = {
    names,
    targets,
    files: [...entries.values()],
    folders: [...new Map([...(carried?.folders ?? []), ...folders])],
    ...(pglite !== undefined ? { pglite } : {}),
    ...(registry ? { registry: registry.digest, workspaceId: registry.workspaceId } : {}),
  };
  if (ws.embedded && decided.some((d) => d.key.startsWith('loaded:')) && proof.pglite === undefined) return; // the database was read, not vouched for
  await mkdir(proofDir(sel.root), { recursive: true });
  await rm(join(sel.root, '.cache', 'noop-proof.json'), { force: true }); // where version 1 kept every selection's proof
  // The most recent selections' proofs are kept; older ones go.
  const kept = (await readdir(proofDir(sel.root)).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  const byAge = kept.map((n) => ({ n, ms: statSignature(join(proofDir(sel.root), n))?.changedMs ?? 0 })).sort((x, y) => y.ms - x.ms);
  for (const { n } of byAge.slice(KEEP - 1)) await rm(join(proofDir(sel.root), n), { force: true });
  // Every file it vouches for must be older than the proof itself (the racy rule): let the clock tick past them.
  await settlePast([...files.values()].flatMap((s) => (s ? [s.changedMs] : [])));
  await writeFileAtomic(proofPath(sel), JSON.stringify({ format: FORMAT, version: VERSION, proof } satisfies ProofFile));
}
