/**
 * The `loaded` stage's claim on a period (engine `Rule.claim`): machines sharing one PostgreSQL server never load
 * the same period at once. The lock is a session-level advisory lock (lib/db/advisory.ts) taken after the engine
 * found the period stale and released when the target ends; a killed machine's lock dies with its connection, and
 * each slice it loaded was its own transaction, so nothing half-written is left (the period's record, written
 * last, is absent or old, and the next build loads what is missing). A machine that finds the lock held says so
 * once, waits, then reads the period's record again: the engine finds it up to date unless its inputs differ.
 */
import type { Claim } from '../../engine/index.ts';
import { splitId, type Workspace } from '../workspace.ts';

export async function claimPeriodLoad(ws: Workspace, id: string, opts: { signal: AbortSignal; notice(message: string): void }): Promise<Claim> {
  const db = await ws.db();
  const held = await db.holdLock(`loaded:${id}`, {
    signal: opts.signal,
    onWait: () => opts.notice(`waiting for another process (a machine or shard sharing this database) that is loading ${id}`),
  });
  if (held.waited) {
    try {
      await reread(ws, id);
    } catch (err) {
      await held.release();
      throw err;
    }
  }
  return held;
}

/** What the registry holds for the period now: its record, its slices, and the rows per period of its tables. */
async function reread(ws: Workspace, id: string): Promise<void> {
  const [publication, period] = splitId(id);
  await ws.registry.refreshPeriod(publication, period, []);
  const d = await ws.registry.data();
  const db = await ws.db();
  const { rowsPerPeriod, tableStates } = await import('../../lib/db/changes.ts');
  const states = await tableStates(db);
  for (const table of new Set((await ws.registry.loads({ publication, period })).map((l) => l.table))) {
    const state = states.get(table);
    if (state) d.counts[table] = { ...state, rows: await rowsPerPeriod(db, table) };
    else delete d.counts[table];
  }
}
