/**
 * A named pipe between the database's `COPY … TO STDOUT` and DuckDB's `read_csv`, so that the export (the server, or
 * PGlite on this thread) and the conversion (DuckDB's thread) run at the same time instead of one after the other
 * through a file. DuckDB fills each read buffer before it parses, so the Parquet bytes are those the file gives,
 * whatever sizes the writes come in (tests/parquet/staging.test.ts compares them).
 *
 * A pipe's two ends wait for each other to open: if the reader fails before it opens its end, the writer's open is
 * released by a read end of our own (openWriter), never left waiting.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Makes a named pipe at `path`; false where there is no `mkfifo` (then the caller goes through a file). */
export function makeFifo(path: string): Promise<boolean> {
  return new Promise((resolve) => execFile('mkfifo', ['-m', '600', path], (error) => resolve(!error)));
}

/**
 * Opens the pipe for writing once its reader has opened it. Undefined when `reader` settles first: it failed before
 * opening the pipe (a reader that opened it cannot finish before the writer closes it).
 */
export async function openWriter(path: string, reader: Promise<unknown>): Promise<{ fd: number; close: () => Promise<void> } | undefined> {
  const opening = open(path, 'w');
  const first = await Promise.race([opening.then(() => 'writer', () => 'writer'), reader.then(() => 'reader', () => 'reader')]);
  if (first === 'writer') {
    const handle = await opening;
    return { fd: handle.fd, close: () => handle.close() };
  }
  const ours = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    await (await opening.catch(() => undefined))?.close();
  } finally {
    closeSync(ours);
  }
  return undefined;
}
