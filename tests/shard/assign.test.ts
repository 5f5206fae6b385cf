/** The split of publications over shards (lib/shard.ts): each in exactly one shard for any n, balanced, stable. */
import { describe, expect, it } from 'vitest';
import { assignShards, parseShard, publicationCosts } from '../../lib/shard.ts';

const pubs = Array.from({ length: 23 }, (_, i) => ({ code: `pub${i}`, cost: ((i * 7919) % 97) + 1 }));

describe('assignShards', () => {
  it('puts every publication in exactly one shard, for every n, and the same one whatever the input order', () => {
    for (let n = 1; n <= 30; n++) {
      const where = assignShards(pubs, n);
      expect([...where.keys()].sort()).toEqual(pubs.map((p) => p.code).sort());
      for (const s of where.values()) expect(s >= 1 && s <= n).toBe(true);
      expect(assignShards([...pubs].reverse(), n)).toEqual(where);
    }
  });

  it('leaves no shard more than one publication above the lightest', () => {
    for (const n of [2, 3, 4, 7]) {
      const where = assignShards(pubs, n);
      const load = Array.from({ length: n }, (_, i) => pubs.filter((p) => where.get(p.code) === i + 1).reduce((a, p) => a + p.cost, 0));
      expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(Math.max(...pubs.map((p) => p.cost)));
    }
  });

  it('fills a period without a record with its publication\'s mean, else everyone\'s, else 1', () => {
    const costs = publicationCosts([
      { code: 'a', cost: 10 }, { code: 'a', cost: undefined },
      { code: 'b', cost: undefined },
      { code: 'c', cost: 30 },
    ]);
    expect(costs).toEqual([{ code: 'a', cost: 20 }, { code: 'b', cost: 20 }, { code: 'c', cost: 30 }]);
    expect(publicationCosts([{ code: 'x', cost: undefined }, { code: 'x', cost: undefined }])).toEqual([{ code: 'x', cost: 2 }]);
  });

  it('reads i/n and refuses what is not one', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/3', '4/3', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard expects i\/n/);
  });
});
