/**
 * The load path's encoding in a worker thread, for PGlite: its WebAssembly PostgreSQL stores rows on the main
 * thread, which is then busy for the whole COPY statement, so reading and encoding the next rows on the same thread
 * waits for it (and it for them). In a worker the ~2 s of JavaScript per 1M rows runs while PGlite stores the previous
 * statement's rows. A server needs no worker: it stores rows in its own process.
 *
 * The worker reads the source file itself (lib/sheets `readTableBatches`), runs ./encode.ts and hands segments over
 * (transferred, not copied), at most {@link AHEAD} of them ahead of what was consumed, so memory stays bounded. Errors
 * come back as the errors they were (SheetError, DbError), with their message, hint and location.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { SheetError, type SourceFile, type TableInfo } from '../sheets/types.ts';
import { encodeRows, type EncodePlan } from './encode.ts';
import { DbError, type CopySegment } from './types.ts';

/** Segments (256 KB each) the worker may produce ahead of the consumer: a little more than one PGlite statement. */
const AHEAD = 96;

/** What a worker is given. */
interface Job { kind: 'nhs-encode'; read: { file: SourceFile; table: TableInfo }; plan: EncodePlan }
type Message = { segment: CopySegment } | { done: true; markers: number } | { error: SerializedError };
interface SerializedError { name: string; message: string; stack?: string; props: Record<string, unknown> }

/**
 * The segments of `read`'s rows, encoded in a worker thread. `tally.markers` is set when the last segment is in.
 * Stopping early (the consumer's error or abort) terminates the worker.
 */
export async function* encodeInWorker(read: Job['read'], plan: EncodePlan, tally: { markers: number }): AsyncGenerator<CopySegment> {
  // The worker runs this module as TypeScript through tsx's scoped loader, under the CLI as under the tests.
  const tsx = tsxApi();
  const boot = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(boot, { eval: true, workerData: { kind: 'nhs-encode', read, plan } satisfies Job });
  const queue: CopySegment[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = () => wake?.();
  worker.on('message', (m: Message) => {
    if ('segment' in m) queue.push(m.segment);
    else if ('done' in m) {
      tally.markers += m.markers;
      done = true;
    } else {
      failure = revive(m.error);
    }
    settle();
  });
  worker.on('error', (error) => {
    failure = error;
    settle();
  });
  worker.on('exit', (code) => {
    if (!done) failure ??= new Error(`The worker encoding rows for ${plan.table} stopped (exit code ${code})`);
    settle();
  });
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const next = queue.shift();
      if (next) {
        worker.postMessage('more');
        yield next;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    await worker.terminate();
  }
}

/** tsx's ESM API (its `import` export: the `require` one cannot be imported), found from this module. */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifest), exports['./esm/api']!.import.default)).href;
}

/** The worker's side: read, encode, hand over with back-pressure; any error is sent back, never thrown here. */
async function work(job: Job, port: NonNullable<typeof parentPort>): Promise<void> {
  let credit = AHEAD;
  let resume: (() => void) | undefined;
  port.on('message', () => {
    credit++;
    resume?.();
  });
  const tally = { markers: 0 };
  try {
    const { readTableBatches } = await import('../sheets/extract.ts');
    for await (const segment of encodeRows(readTableBatches(job.read.file, job.read.table), job.plan, tally)) {
      while (credit <= 0) await new Promise<void>((r) => (resume = r));
      credit--;
      port.postMessage({ segment } satisfies Message, [segment.bytes.buffer as ArrayBuffer]);
    }
    port.postMessage({ done: true, markers: tally.markers } satisfies Message);
  } catch (error) {
    port.postMessage({ error: serialize(error) } satisfies Message);
  }
  // The main thread terminates the worker once it has the last message.
}

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), props: {} };
  return { name: error.name, message: error.message, stack: error.stack, props: { ...error } };
}

/** The error as thrown in the worker: same class (for the failure's kind and hint), message, location and fields. */
function revive(s: SerializedError): Error {
  const proto = s.name === 'SheetError' ? SheetError.prototype : s.name === 'DbError' ? DbError.prototype : Error.prototype;
  const error = Object.assign(Object.create(proto) as Error, s.props);
  Object.defineProperty(error, 'message', { value: s.message, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: s.stack, writable: true, configurable: true });
  return error;
}

if (parentPort && (workerData as Job | undefined)?.kind === 'nhs-encode') void work(workerData as Job, parentPort);
