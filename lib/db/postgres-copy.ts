/**
 * The server driver's COPY: rows in (CSV lines, or binary segments of the load path) streamed through
 * pg-copy-streams with backpressure, and query results out as COPY's CSV text into a file.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { COPY_HEADER, COPY_TRAILER } from './binary.ts';
import { copyError, csvChunks } from './csv.ts';
import { quoteIdent, writeFully, type CopyRow, type CopySegment } from './types.ts';

/** Rows are sent to the server in pieces of about this many characters (fewer, larger writes are faster). */
const STREAM_PIECE = { maxRows: 10_000, maxChars: 256 * 1024 };

/** Stream rows into `COPY ... FROM STDIN (FORMAT csv)` with backpressure; memory is bounded by one piece. */
export async function copyPostgres(
  client: pg.PoolClient,
  check: () => void,
  table: string,
  columns: string[],
  rows: AsyncIterable<CopyRow> | Iterable<CopyRow>,
): Promise<number> {
  check();
  let total = 0;
  async function* pieces(): AsyncGenerator<string> {
    for await (const piece of csvChunks(rows, table, columns, STREAM_PIECE)) {
      check();
      total += piece.rows;
      yield piece.csv;
    }
  }
  const sink = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`));
  try {
    await pipeline(Readable.from(pieces(), { objectMode: false }), sink);
  } catch (err) {
    // Server line numbers count from the start of this single streamed COPY, i.e. they are row numbers already.
    throw copyError(err, table, 1);
  }
  return total;
}

/** Stream binary COPY segments into `COPY ... FROM STDIN (FORMAT binary)`: one header, the rows, one trailer. */
export async function copyBinaryPostgres(
  client: pg.PoolClient,
  check: () => void,
  table: string,
  columns: string[],
  segments: AsyncIterable<CopySegment>,
): Promise<number> {
  check();
  let total = 0;
  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield COPY_HEADER;
    for await (const segment of segments) {
      check();
      total += segment.rows;
      yield segment.bytes;
    }
    yield COPY_TRAILER;
  }
  const sink = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT binary)`));
  try {
    await pipeline(Readable.from(bytes(), { objectMode: false }), sink);
  } catch (err) {
    // Server line numbers count the rows of this single streamed COPY.
    throw copyError(err, table, 1);
  }
  return total;
}

/** Append the rows of a SELECT to the open file `fd` as COPY's CSV text, written as it arrives. */
export async function copyOutPostgres(client: pg.PoolClient, check: () => void, sql: string, fd: number): Promise<number> {
  check();
  const source = client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv)`));
  // Synchronous writes go to the page cache (or a pipe's reader): the socket, not the disk, paces the copy, and memory
  // stays one chunk. A write that fails (a reader gone from a pipe, a full disk) ends the writing, not the COPY: the
  // connection is left at the end of its statement, and the error is thrown after.
  let writeError: unknown;
  for await (const chunk of source) {
    if (writeError !== undefined) continue;
    try {
      writeFully(fd, chunk as Buffer);
    } catch (error) {
      writeError = error;
    }
  }
  if (writeError !== undefined) throw writeError;
  return source.rowCount;
}
