/**
 * What a table's documentation says, over every period it holds: the Markdown sidecar (`output/metadata/<table>.md`),
 * the Parquet file's per-column key/value metadata and the catalog's column rows all come from here, so they agree.
 *
 * A column is described by the newest period that has it; its source headers are listed with the periods that
 * published each; its markers (special values loaded as NULL) are counted over all periods, as the table holds them.
 */
import type { LoadRow } from '../../lib/db/registry.ts';
import type { ParquetColumn, TableDoc } from '../../lib/parquet/index.ts';
import type { CanonicalColumn, CanonicalTable } from './canonical.ts';

/** Provenance columns every row carries, as exported to Parquet, with what each means (also their database comments). */
export const PROVENANCE_COLUMNS: { name: string; type: ParquetColumn['type']; description: string }[] = [
  { name: '_publication', type: 'text', description: 'Publication code from config/publications.yaml.' },
  { name: '_period', type: 'text', description: 'Period label the row was published for (YYYY-MM, FY2024-25, ...).' },
  { name: '_period_start', type: 'date', description: 'First day of the period.' },
  { name: '_period_end', type: 'date', description: 'Last day of the period.' },
  { name: '_source_key', type: 'text', description: 'Source file URL and the table\'s place in it (sheet, member, table number).' },
  { name: '_source_file', type: 'text', description: 'Name of the published file.' },
  { name: '_source_sha256', type: 'text', description: 'SHA-256 of the published file\'s bytes.' },
  { name: '_sheet', type: 'text', description: 'Sheet name for workbooks; empty for CSV.' },
  { name: '_source_row', type: 'integer', description: 'Row (line) number in the source sheet or CSV.' },
  { name: '_row_kind', type: 'text', description: 'What the row is: detail (a published figure for one item), total, subtotal, or derived (a change or share computed by the publisher from other rows). Sum only detail rows.' },
  { name: '_markers', type: 'text', description: 'JSON object, by column, of what the published cell held beside or instead of a figure: suppression markers such as "*", "c", "-" (the value is NULL) and annotations such as "r" (revised) or "[note 4]" (the value is kept).' },
];

/** One column as documented: what the Markdown shows and the Parquet metadata and catalog carry. */
export interface ColumnDoc {
  name: string;
  type: string;
  description: string;
  source_headers: { header: string; periods: string[] }[];
  first_period?: string;
  last_period?: string;
  markers?: Record<string, number>;
}

/** The Parquet key under which each column's {@link ColumnDoc} is stored (`nhs_pipeline.column.<name>`). */
export const KV_COLUMN_PREFIX = 'nhs_pipeline.column.';

/**
 * Why numeric columns are DOUBLE in Parquet, measured: DuckDB, Polars, pandas and pyarrow read a DOUBLE as float64
 * and give back every published value's digits (spreadsheet cells are doubles; published decimals have at most 15
 * significant digits), while DECIMAL(38, 10) rounds past the 10th decimal place (`0.3333333333333333` →
 * `0.3333333333`) and reaches pandas as Python Decimal objects. See lib/parquet/README.md and `bench/decimals.mts`.
 */
export const NUMBERS_NOTE =
  '`numeric` columns are DOUBLE in Parquet (float64 in pandas, Polars and DuckDB), which keeps every published digit; numeric in PostgreSQL.';

/** A table's canonical description in each period that has it, newest period last. */
export type CanonicalByPeriod = { period: string; table: CanonicalTable }[];

/** The documentation of every data column of a staging table, in table order. */
export function columnDocs(columns: { name: string; type: string }[], described: CanonicalByPeriod): ColumnDoc[] {
  return columns.map((c) => {
    const seen = described.flatMap(({ period, table }) => {
      const col = table.columns.find((x) => x.name === c.name);
      return col ? [{ period, col }] : [];
    });
    const newest: CanonicalColumn | undefined = seen.at(-1)?.col;
    const headers = new Map<string, string[]>();
    const markers: Record<string, number> = {};
    for (const { period, col } of seen) {
      headers.set(col.header, [...(headers.get(col.header) ?? []), period]);
      for (const [m, n] of Object.entries(col.markers ?? {})) markers[m] = (markers[m] ?? 0) + n;
    }
    return {
      name: c.name,
      type: c.type,
      description: newest?.description ?? 'Column of periods whose manifests are no longer configured.',
      source_headers: [...headers].map(([header, periods]) => ({ header, periods })),
      ...(seen.length ? { first_period: seen[0].period, last_period: seen.at(-1)!.period } : {}),
      ...(Object.keys(markers).length ? { markers } : {}),
    };
  });
}

/** The sidecar's content: description of the newest period, columns over all periods, periods and sources. */
export function tableDoc(
  code: string,
  publicationName: string,
  table: string,
  columns: ColumnDoc[],
  loads: LoadRow[],
  described: CanonicalByPeriod,
  provenance: { name: string; description: string }[],
): TableDoc {
  const byPeriod = new Map<string, LoadRow[]>();
  for (const l of loads) byPeriod.set(l.period, [...(byPeriod.get(l.period) ?? []), l]);
  return {
    table,
    publication: code,
    publicationName,
    description: described.at(-1)?.table.description ?? `Table ${table}.`,
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      description: c.description,
      sourceHeaders: c.source_headers,
      ...(c.markers ? { markers: c.markers } : {}),
      ...(c.first_period ? { firstPeriod: c.first_period, lastPeriod: c.last_period } : {}),
    })),
    periods: [...byPeriod]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([period, ls]) => ({
        period,
        rows: ls.reduce((n, l) => n + l.rowCount, 0),
        sources: ls.map((l) => ({ file: l.sourceFile, url: l.sourceKey.replace(/#.*$/, ''), sheet: l.sheet, sha256: l.sourceSha256, rows: l.rowCount })),
      })),
    provenanceColumns: provenance,
    numbers: NUMBERS_NOTE,
  };
}
