/**
 * Reads Parquet files back with hyparquet, a pure-JS reader that shares no code with the DuckDB writer, so a test
 * passes only if the file is valid Parquet to an independent implementation. Node 20 has no zstd, so pages are
 * decompressed with fzstd (also pure JS).
 */
import { decompress } from 'fzstd';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { readdirSync } from 'node:fs';

const compressors = { ZSTD: (input: Uint8Array, outputLength: number) => decompress(input, new Uint8Array(outputLength)) };

/**
 * All rows of a Parquet file as objects (INT64 → bigint, DATE/TIMESTAMP → Date, as hyparquet decodes them).
 * With `microseconds`, TIMESTAMP(MICROS) values come back as the stored bigint instead of a millisecond Date, so tests
 * can see that no sub-millisecond digits were lost.
 */
export async function readRows(path: string, opts: { microseconds?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(path);
  const parsers = opts.microseconds ? { timestampFromMicroseconds: (micros: bigint) => micros as unknown as Date } : undefined;
  return parquetReadObjects({ file, compressors, ...(parsers ? { parsers } : {}) });
}

/** The footer as hyparquet parses it: schema, row groups, key/value metadata, created_by. */
export async function readFooter(path: string) {
  const file = await asyncBufferFromFile(path);
  return parquetMetadataAsync(file);
}

/** Key/value metadata as a plain object, from hyparquet's footer. */
export async function readKv(path: string): Promise<Record<string, string>> {
  const footer = await readFooter(path);
  return Object.fromEntries((footer.key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
}

/** Parquet physical + logical/converted type of each leaf column, e.g. `{ id: 'INT32', d: 'INT32/DATE' }`. */
export async function readColumnTypes(path: string): Promise<Record<string, string>> {
  const footer = await readFooter(path);
  const out: Record<string, string> = {};
  for (const el of footer.schema.slice(1)) {
    const logical = el.logical_type?.type ?? el.converted_type;
    out[el.name] = logical ? `${el.type}/${logical}` : String(el.type);
  }
  return out;
}

/** Files in a folder, sorted: used to prove that no temporary file was left behind. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}
