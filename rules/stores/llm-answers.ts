/**
 * The model's answers: `manifests/llm/<pub>/<request-sha256>.json`, one {@link Consultation} per request sent,
 * beside the manifests and committed with them. Each is an input of the enriched manifests that used it (the
 * `llm:<pub>/<sha256>` source), so a clone without a key builds the same names, and no request is sent twice.
 * Written once, durably (an answer cannot be rebuilt without paying for it again), never rewritten.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic.ts';
import { addTotals, noTotals, type Consultation, type LlmTotals } from '../../lib/llm/index.ts';
import { reportWalk, walkPublicationFiles, type Walk } from '../clean/files.ts';
import { noOrphans, type OrphanItem, type OrphanQuery, type StageOrphans } from '../stage.ts';
import type { WorkspacePaths } from '../workspace.ts';

const SHA = /^[0-9a-f]{64}$/;

export const answersDir = (paths: WorkspacePaths) => join(paths.manifests, 'llm');

export function answerPath(paths: WorkspacePaths, publication: string, sha256: string): string {
  if (!SHA.test(sha256)) throw new Error(`"${sha256}" is not a request's SHA-256`);
  return join(answersDir(paths), publication, `${sha256}.json`);
}

/** The kept consultation, or undefined when there is none (or it is not one: then it is asked again). */
export async function readAnswer(path: string): Promise<Consultation | undefined> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Consultation;
    return c && Array.isArray(c.attempts) && typeof c.model === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

export async function writeAnswer(paths: WorkspacePaths, publication: string, c: Consultation): Promise<string> {
  const path = answerPath(paths, publication, c.request_sha256);
  await writeFileAtomic(path, JSON.stringify(c, null, 2) + '\n', { durable: true });
  return path;
}

/** Totals of every kept answer, by publication (for `status`). */
export async function answerTotals(paths: WorkspacePaths, publications: string[]): Promise<Map<string, LlmTotals>> {
  const out = new Map<string, LlmTotals>();
  for (const pub of publications) {
    const dir = join(answersDir(paths), pub);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json') && SHA.test(n.slice(0, -'.json'.length))).sort();
    } catch {
      continue;
    }
    let totals = noTotals();
    for (const n of names) {
      const c = await readAnswer(join(dir, n));
      if (c) totals = addTotals(totals, c);
    }
    if (totals.answers) out.set(pub, totals);
  }
  return out;
}

/** `clean`: answers of publications no longer configured; anything else found there is reported, never removed. */
export async function answerOrphans(q: OrphanQuery): Promise<StageOrphans> {
  const out = noOrphans();
  if (q.skip.has('manifests')) return out;
  const walk: Walk = { root: q.root, unknown: [] };
  const dir = join(q.root, 'manifests', 'llm');
  const configured = new Set([...q.periods].map((id) => id.slice(0, id.indexOf('/'))));
  const items: OrphanItem[] = [];
  await walkPublicationFiles(dir, walk, items, out, (pub, f) => {
    if (!f.isFile() || !f.name.endsWith('.json') || !SHA.test(f.name.slice(0, -'.json'.length))) return 'unknown';
    return configured.has(pub) ? 'keep' : 'orphan';
  });
  return reportWalk(out, 'manifests', 'llm answers', items, walk);
}
