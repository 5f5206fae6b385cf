/**
 * Named locks across processes and machines sharing one PostgreSQL server: a session-level advisory lock held on
 * a connection of its own (outside the pool, so holding locks never starves transactions of connections). The
 * lock dies with its session: a process that is killed, or loses the server, holds nothing.
 *
 * Names are hashed into the two-int key space (`pg_advisory_lock(int, int)`) under a namespace of their own, so
 * they never meet the one-bigint transaction locks taken elsewhere (lib/db/registry.ts, lib/db/staging.ts).
 */
import pg from 'pg';
import { DbAbortError } from './types.ts';

/** A held lock; `waited` says another session held it first (and has since let it go). */
export interface HeldLock { waited: boolean; release(): Promise<void> }

export interface LockOptions {
  signal?: AbortSignal;
  /** Called once, when the lock is found held by another session, before waiting for it. */
  onWait?: () => void;
}

/** The namespace of pipeline target locks (the first int of the key). */
const NAMESPACE = 0x6e6873; // "nhs"

export async function holdPostgresLock(connectionString: string, name: string, opts: LockOptions = {}): Promise<HeldLock> {
  const client = new pg.Client({ connectionString, application_name: `nhs-pipeline lock ${name}`.slice(0, 63) });
  client.on('error', () => {});
  await client.connect();
  const end = () => client.end().catch(() => {});
  const onAbort = () => void end();
  try {
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [NAMESPACE, name]);
    let waited = false;
    if (!got.rows[0]!.ok) {
      waited = true;
      opts.onWait?.();
      // Closing the connection is the way out of a wait: the server drops the request with the session.
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) throw new DbAbortError(`Waiting for lock ${name}`, opts.signal.reason);
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [NAMESPACE, name]);
    }
    return {
      waited,
      async release() {
        opts.signal?.removeEventListener('abort', onAbort);
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NAMESPACE, name]).catch(() => {});
        await end();
      },
    };
  } catch (err) {
    opts.signal?.removeEventListener('abort', onAbort);
    await end();
    if (opts.signal?.aborted) throw err instanceof DbAbortError ? err : new DbAbortError(`Waiting for lock ${name}`, opts.signal.reason);
    throw err;
  }
}
