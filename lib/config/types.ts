/**
 * The parsed, validated shape of `config/publications.yaml`, and the diagnostics reported about it.
 */

import type { Period } from '../periods.ts';

/** Column types a user may force in an override (the pipeline's shared type vocabulary). */
export type { ColumnType } from '../column-types.ts';
import type { ColumnType } from '../column-types.ts';

/** Every ColumnType, in widening order; used for validation and for "valid types are …" hints. */
export { COLUMN_TYPES } from '../column-types.ts';

/** A position in a config file: 1-based line and column. Line 0 means "the file as a whole" (e.g. it is missing). */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

/** One problem found in a config file, with where it is and, usually, what to do about it. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  loc: Loc;
  /** What to do next; may span several lines. */
  hint?: string;
  /** How many characters to underline from `loc.col` (default 1); never runs past the end of the line. */
  length?: number;
}

/** The user's correction for one generated column: rename, force a type, describe. */
export interface ColumnOverride {
  name?: string;
  type?: ColumnType;
  description?: string;
}

/** `unpivot:` of a table override (lib/config/unpivot.ts). */
export interface UnpivotSetting {
  /** Pattern over generated column names with one `*`. */
  columns: string;
  /** Column receiving the part `*` matched. */
  name: string;
  /** Column receiving the cell. */
  value: string;
}

/** `history:` of a table override (lib/config/history.ts); absent: every edition's rows. */
export interface HistorySetting {
  keep: 'latest';
  /** The column saying which period a row is about (not the edition it was published in). */
  by: string;
}

/** The user's correction for one generated table; `columns` is keyed by the generated column name. */
export interface TableOverride {
  name?: string;
  description?: string;
  /** True: do not load this table at all. */
  skip?: boolean;
  /** Wide columns matching a pattern become rows (opt-in). */
  unpivot?: UnpivotSetting;
  /** Of rows republished by later editions, which the Parquet keeps (absent: all). */
  history?: HistorySetting;
  columns: Record<string, ColumnOverride>;
}

/** Corrections applied at the canonical stage; empty when the publication has no `overrides:`. */
export interface Overrides {
  /** Sheet names to ingest even though the detector skipped them, exactly as written (trailing spaces kept). */
  includeSheets: string[];
  /** Keyed by the table name the enriched stage generated. */
  tables: Record<string, TableOverride>;
  /**
   * Where each override is written, keyed `table` or `table.column`, for the error when it names nothing. Kept apart
   * from `tables` so that moving a line (a comment added above) does not change what the overrides say.
   */
  locations: Record<string, Loc>;
}

/** One release of a publication. */
export interface PeriodEntry {
  period: Period;
  /**
   * Where to get the release: an `http(s):` URL as normalised by WHATWG URL parsing (spaces become
   * `%20`), or a `file:` URL or a path exactly as written; paths are relative to PipelineConfig.dir
   * (kept relative so that moving the workspace does not change the config's content).
   */
  url: string;
  /**
   * When `url` is a page: which of its linked files are this period's (`files:` of the period, else of
   * the publication), with the period's tokens filled in. Absent: every data file the page links.
   */
  files?: string[];
  /** Where the entry (its `period:` line) is in the config. */
  loc: Loc;
}

/** `family:` of a publication (lib/config/family.ts); absent: families are found by themselves. */
export interface FamilySetting {
  /** `family: false`: never merge. */
  disabled?: boolean;
  /** The key column's name (default `source_part`). */
  column?: string;
  /** A file (member, sheet) name pattern with one `*`, the key: every name that matches is one family. */
  match?: string;
}

/** One configured publication. */
export interface Publication {
  /** Lowercase snake_case, 2–31 characters; part of table and manifest paths. */
  code: string;
  name: string;
  landingPage?: string;
  /** In the order the config lists them. */
  periods: PeriodEntry[];
  overrides: Overrides;
  /** `files:` of the publication as written, tokens unfilled (`Incomplete-Provider-{MMM}{YY}-*`): `discover` fills them per period. */
  filePatterns?: string[];
  /** `discover:` settings; absent: every edition from the first configured period on. */
  discover?: DiscoverSettings;
  /** Whether files of one schema load into one table (absent: found by themselves). */
  family?: FamilySetting;
  /** Where the publication's code key is. */
  loc: Loc;
}

/** Which editions `discover` leaves out of its proposals. */
export interface DiscoverSettings {
  /** Period labels never proposed. */
  exclude: string[];
  /** Only periods starting on or after this one (default: the first configured period). */
  since?: Period;
}

/** `archive:`: where archived periods go (an S3-compatible bucket and prefix). Credentials come from the environment only. */
export interface ArchiveSettings {
  /** `s3://bucket/prefix` as written. */
  url: string;
  bucket: string;
  /** Key prefix without leading or trailing `/` ('' for the bucket's root). */
  prefix: string;
  /** The S3 API endpoint (R2: `https://<account>.r2.cloudflarestorage.com`, MinIO: `http://host:9000`); absent: AWS S3. */
  endpoint?: string;
  /** Region (default `auto` with an endpoint, `us-east-1` without). */
  region?: string;
  /** Address buckets as `endpoint/bucket` rather than `bucket.endpoint` (default: true with an endpoint). */
  pathStyle?: boolean;
}

/** `retention:`: how many periods of each publication stay local once archived. */
export interface RetentionSettings {
  keepPeriods: number;
}

/** The whole validated config. */
export interface PipelineConfig {
  /** The config file path as given by the caller (used in every Loc). */
  file: string;
  /** Absolute directory of the config file; relative period paths are resolved against it. */
  dir: string;
  /** In the order the config lists them. */
  publications: Publication[];
  /** `archive:`, when configured. */
  archive?: ArchiveSettings;
  /** `remote:`, the remote artifact store `build` fetches manifests from and pushes them to (same shape as `archive:`). */
  remote?: ArchiveSettings;
  /** `retention:`, when configured (opt-in: without it nothing local is ever removed). */
  retention?: RetentionSettings;
  /** Problems that do not stop a build (e.g. a period URL that points at a PDF). */
  warnings: Diagnostic[];
}
