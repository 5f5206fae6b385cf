/**
 * Shards: a deterministic, balanced split of publications over `n` machines (`build --shard i/n`).
 *
 * Every machine computes the same split from the same inputs (the config and the manifests of the checkout), so
 * no coordination is needed to agree on it: each publication lands in exactly one shard for any `n`.
 *
 * The split is greedy "longest processing time first": publications sorted by estimated cost (highest first,
 * ties by a SHA-256 of the code, so the order depends on nothing but the codes), each given to the shard with
 * the least cost so far (ties: the lowest shard). No shard ends more than one publication's cost above the
 * lightest. With no recorded costs every period costs 1, and the order is the hash's alone.
 */
import { createHash } from 'node:crypto';
import { PipelineError } from './failure.ts';

/** Shard `index` (1-based) of `count`. */
export interface Shard { index: number; count: number }

/** Parses `i/n` (1 ≤ i ≤ n); a malformed value is a usage error. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new PipelineError({ kind: 'usage', message: `--shard expects i/n with 1 ≤ i ≤ n (e.g. 2/4), got "${text}"`, hint: 'run `pipeline.ts build --help` for usage' });
  }
  return { index, count };
}

/** A publication to place: its code and its estimated cost (any positive unit, the same for all). */
export interface Costed { code: string; cost: number }

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/** The shard (1-based) of every publication; every code gets exactly one. */
export function assignShards(pubs: readonly Costed[], count: number): Map<string, number> {
  const order = [...pubs].map((p) => ({ ...p, h: hashOf(p.code) })).sort((a, b) => b.cost - a.cost || (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  for (const p of order) {
    let best = 0;
    for (let i = 1; i < count; i++) if (load[i] < load[best]) best = i;
    load[best] += p.cost;
    out.set(p.code, best + 1);
  }
  return out;
}

/**
 * Publication costs from per-period costs where recorded: a period without a record costs the mean of its
 * publication's recorded periods, else the mean of all recorded periods, else 1.
 */
export function publicationCosts(periods: readonly { code: string; cost: number | undefined }[]): Costed[] {
  const known = periods.filter((p) => p.cost !== undefined).map((p) => p.cost!);
  const overall = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const byPub = new Map<string, (number | undefined)[]>();
  for (const p of periods) (byPub.get(p.code) ?? byPub.set(p.code, []).get(p.code)!).push(p.cost);
  return [...byPub].map(([code, costs]) => {
    const mine = costs.filter((c): c is number => c !== undefined);
    const fill = mine.length ? mine.reduce((a, b) => a + b, 0) / mine.length : overall;
    // At least 1 per period: an empty table still costs a download and a load.
    return { code, cost: costs.reduce<number>((n, c) => n + Math.max(1, c ?? fill), 0) };
  });
}
