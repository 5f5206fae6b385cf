/**
 * Whole-graph cycle detection. A target that waits for another adds an edge to the waits-for graph; an edge
 * that would close a loop is refused with the loop it closes. Following one call chain is not enough: two
 * roots built at once (`a:x` needing `b:x`, `b:x` needing `a:x`) each wait on a promise the other holds, and
 * neither chain alone shows the loop, so the build would hang.
 */
import type { TargetKey } from './rule.ts';

export class WaitGraph {
  /** For each waiting target, what it waits for now (a multiset: several `need`s may wait on one key). */
  readonly #edges = new Map<TargetKey, Map<TargetKey, number>>();

  /**
   * Records that `from` waits for `to`. Returns the cycle (`from → … → from`) when `to` already waits,
   * directly or not, for `from`; the edge is then not added.
   */
  wait(from: TargetKey, to: TargetKey): TargetKey[] | undefined {
    const path = from === to ? [to] : this.#path(to, from);
    if (path) return [from, ...path];
    const out = this.#edges.get(from) ?? new Map<TargetKey, number>();
    out.set(to, (out.get(to) ?? 0) + 1);
    this.#edges.set(from, out);
    return undefined;
  }

  /** `from` no longer waits for `to`. */
  done(from: TargetKey, to: TargetKey): void {
    const out = this.#edges.get(from);
    const n = out?.get(to);
    if (!out || n === undefined) return;
    if (n > 1) out.set(to, n - 1);
    else out.delete(to);
    if (out.size === 0) this.#edges.delete(from);
  }

  /** A path of waits from `start` to `goal` (both included), depth first; parents are kept, not paths. */
  #path(start: TargetKey, goal: TargetKey): TargetKey[] | undefined {
    if (!this.#edges.has(start)) return undefined; // `start` waits for nothing: no loop through it
    const parent = new Map<TargetKey, TargetKey | undefined>([[start, undefined]]);
    const stack = [start];
    while (stack.length) {
      const key = stack.pop()!;
      if (key === goal) {
        const path: TargetKey[] = [];
        for (let k: TargetKey | undefined = key; k !== undefined; k = parent.get(k)) path.unshift(k);
        return path;
      }
      for (const next of this.#edges.get(key)?.keys() ?? []) {
        if (parent.has(next)) continue;
        parent.set(next, key);
        stack.push(next);
      }
    }
    return undefined;
  }
}
