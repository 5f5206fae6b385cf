/** The registry's period records in bulk: one query for a whole workspace instead of one per period. */
import type { Db } from './types.ts';
import type { PeriodRecord } from './registry.ts';

/** Every period record written by `workspace`, keyed `pub/period`. */
export async function readPeriodRecords(db: Db, workspace: string): Promise<Map<string, PeriodRecord>> {
  const rows = await db.query<{ publication: string; period: string; canonical_sha256: string; rule_version: string; inputs: Record<string, string>; output_digest: string; row_count: number | string; loaded_at: string }>(
    `SELECT publication, period, canonical_sha256, rule_version, inputs, output_digest, row_count,
            to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS loaded_at
       FROM datawarp.periods WHERE workspace_id = $1`,
    [workspace],
  );
  return new Map(
    rows.map((r) => [
      `${r.publication}/${r.period}`,
      {
        publication: r.publication, period: r.period, canonicalSha256: r.canonical_sha256, ruleVersion: r.rule_version, inputs: r.inputs,
        outputDigest: r.output_digest, rowCount: Number(r.row_count), loadedAt: r.loaded_at,
      },
    ]),
  );
}
