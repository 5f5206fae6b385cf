/**
 * The undeclared-read check (on in tests): while a rule runs, a store or the config may only be read for keys
 * the rule declared with `need`. A read that bypasses `need` is a dependency the engine cannot see, so a
 * change to it would never rebuild the target; the check makes such a read fail loudly instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TargetKey } from './rule.ts';

interface RunScope { target: TargetKey; declared: ReadonlySet<TargetKey> }

const scope = new AsyncLocalStorage<RunScope | undefined>();

/** Runs a rule with the check on: reads inside `fn` must name declared keys. */
export function runChecked<T>(target: TargetKey, declared: ReadonlySet<TargetKey>, fn: () => Promise<T>): Promise<T> {
  return scope.run({ target, declared }, fn);
}

/** Runs the engine's own work (bringing inputs up to date, reading what a rule needs) outside any rule's check. */
export function runUnchecked<T>(fn: () => Promise<T>): Promise<T> {
  return scope.getStore() === undefined ? fn() : scope.run(undefined, fn);
}

/** Refuses a read of `key` from inside a running rule that did not `need` it. No-op when the check is off. */
export function checkRead(key: TargetKey): void {
  const s = scope.getStore();
  if (s && !s.declared.has(key)) {
    throw new Error(`${s.target} read ${key} without declaring it (ctx.need): a change to it would not rebuild ${s.target}`);
  }
}
