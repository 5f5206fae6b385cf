/**
 * A heartbeat that a busy main thread cannot silence. Plain output says what is still running when nothing was said
 * for a few seconds (cli/report-plain.ts), from a timer on the main thread; a step that holds that thread for
 * seconds (SheetJS parsing a 4 MB workbook: 3 s; the embedded database compiling) stops the timer too. This worker
 * thread keeps its own timer: when the main thread has not checked in for a beat and a second, and nothing was
 * printed for a beat, it writes the line itself, straight to the file descriptor, saying the build is busy in one
 * step and for how long. The main thread tells it what runs (a message per change) and when it last printed and
 * checked in (two numbers in shared memory, no message per tick).
 */
import { Worker } from 'node:worker_threads';

export interface StallWatch {
  /** The main thread printed a line. */
  said(): void;
  /** The main thread is not blocked (called from its own heartbeat timer). */
  alive(): void;
  /** What runs now, as the heartbeat says it ('' when nothing does). */
  running(text: string): void;
  stop(): void;
}

const SCRIPT = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { fd, everyMs, shared } = workerData;
const times = new Float64Array(shared); // [last check-in, last line]
let running = '';
parentPort.on('message', (m) => { running = m; });
setInterval(() => {
  const now = Date.now();
  const busy = now - times[0];
  if (!running || busy < everyMs + 1000 || now - times[1] < everyMs) return;
  times[1] = now;
  const line = new Date(now).toISOString().slice(11, 19) + ' … still running: ' + running + ' (busy in one step for ' + Math.round(busy / 1000) + ' s)\n';
  try { writeSync(fd, line); } catch {}
}, 250);
`;

/** Starts the watch over output file descriptor `fd` (1: stdout), speaking after `everyMs` of silence. */
export function startStallWatch(fd: number, everyMs: number): StallWatch {
  const shared = new SharedArrayBuffer(16);
  const times = new Float64Array(shared);
  times[0] = times[1] = Date.now();
  const worker = new Worker(SCRIPT, { eval: true, workerData: { fd, everyMs, shared } });
  worker.unref();
  worker.on('error', () => undefined); // a heartbeat that cannot start is no reason to stop a build
  let last = '';
  return {
    said: () => void (times[1] = Date.now()),
    alive: () => void (times[0] = Date.now()),
    running(text) {
      if (text !== last) worker.postMessage((last = text));
    },
    stop: () => void worker.terminate(),
  };
}
