/**
 * What the status page shows. Its numbers are `status --json`'s (rules/status.ts), passed in unchanged; the
 * page adds only drift between periods (from the canonical manifests) and the order of the stages.
 * The status shapes are defined here, in lib/, and rules/status.ts builds on them: one definition for both sides.
 */

export type ReportState = 'built' | 'stale' | 'pending' | 'failed' | 'archived';
export const STATES: readonly ReportState[] = ['built', 'stale', 'pending', 'failed', 'archived'];

export interface ReportPeriod {
  period: string;
  state: ReportState;
  /** The last stage, in order, that is up to date (null when none is). */
  builtThrough: string | null;
  /** For stale: the first stage that would run, and why. */
  stale?: { target: string; reason: string };
  /** For archived (rows in the archive alone) and for built periods also archived: where, and since when. */
  archive?: { remote: string; archivedAt: string; removedAt?: string };
  /** For failed: from the failure ledger. */
  failure?: { target: string; error: string; hint?: string; at: string; attempts: number };
}

export interface ReportPublication {
  publication: string;
  name: string;
  periods: ReportPeriod[];
  tables: { table: string; period: string; rows: number }[];
}

/** How a table changed from one period to the next. */
export interface TableDrift {
  publication: string;
  table: string;
  from: string;
  to: string;
  added: string[];
  removed: string[];
  /** Rows loaded in each period (from the registry, as status reports them); undefined when not loaded. */
  rowsFrom?: number;
  rowsTo?: number;
}

export interface ReportStage { name: string; grain: 'period' | 'table' | 'workspace' }

export interface ReportInput {
  /** The workspace folder, shown in the heading. */
  workspace: string;
  /** ISO 8601 time the page was made. */
  generatedAt: string;
  status: { publications: ReportPublication[]; databaseAsOfLastBuild?: boolean };
  drift: TableDrift[];
  stages: readonly ReportStage[];
}

export type StateCounts = Record<ReportState, number>;

/** Periods in each state over every publication: what `report --json` prints beside the path. */
export function countStates(publications: readonly ReportPublication[]): StateCounts {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as StateCounts;
  for (const p of publications) for (const x of p.periods) counts[x.state] += 1;
  return counts;
}
