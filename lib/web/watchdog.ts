/**
 * A watchdog over one HTTP attempt. A server can fail without failing: accept the connection and never
 * answer, send headers and then nothing, or trickle a byte a minute. Without a watchdog such a download
 * waits for the attempt limit (minutes) in silence. This one aborts the request after `idleMs` without a
 * byte (headers or body), caps the whole attempt at `totalMs`, and every `noticeMs` says what it is
 * waiting for, so a slow server is never mistaken for a hung build.
 */

export interface WatchdogOptions {
  idleMs: number;
  totalMs: number;
  noticeMs: number;
  onNotice?: (message: string) => void;
  /** Called as body bytes arrive, at most every `PROGRESS_MS`, with a line such as `640 KiB of 1.5 MiB, 64 KiB/s, about 14 s left`. */
  onProgress?: (message: string) => void;
  /** What is being fetched, for the notices. */
  url: string;
}

export type Phase = 'headers' | 'body';

export class Watchdog {
  readonly #controller = new AbortController();
  readonly #started = Date.now();
  #lastData = this.#started;
  #why: 'idle' | 'total' | undefined;
  #phase: Phase = 'headers';
  #bytes = 0;
  #total: number | undefined;
  #lastProgress = 0;
  #idle: NodeJS.Timeout | undefined;
  readonly #limit: NodeJS.Timeout;
  readonly #notice: NodeJS.Timeout | undefined;

  constructor(private readonly o: WatchdogOptions) {
    this.#limit = setTimeout(() => this.#fire('total'), o.totalMs);
    this.#armIdle();
    if (o.onNotice) this.#notice = setInterval(() => o.onNotice!(this.#describeWait()), o.noticeMs);
  }

  /** Aborted when the watchdog gives up; combine it with the caller's own signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the watchdog gave up, if it did. */
  get fired(): 'idle' | 'total' | undefined {
    return this.#why;
  }

  get phase(): Phase {
    return this.#phase;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The response headers arrived (`total`: the body's length, when the server said): from now on silence is counted between body bytes. */
  headers(total?: number): void {
    this.#phase = 'body';
    this.#total = total;
    this.#data(0);
  }

  /** `n` body bytes arrived. */
  data(n: number): void {
    this.#data(n);
  }

  /** The attempt is over (done or failed): no more timers, no more notices. */
  stop(): void {
    clearTimeout(this.#idle);
    clearTimeout(this.#limit);
    clearInterval(this.#notice);
  }

  /** Why the request was given up, for the error message: "no response within 30 s". */
  reason(): string {
    if (this.#why === 'total') {
      return this.#phase === 'headers'
        ? `no response from the server within ${duration(this.o.totalMs)}, the limit for one attempt`
        : `the download took longer than ${duration(this.o.totalMs)}, the limit for one attempt (${bytes(this.#bytes)} received)`;
    }
    if (this.#phase === 'headers') return `no response from the server within ${duration(this.o.idleMs)}`;
    return `the server stopped sending: nothing for ${duration(this.o.idleMs)} after ${bytes(this.#bytes)}`;
  }

  #data(n: number): void {
    this.#bytes += n;
    this.#lastData = Date.now();
    this.#armIdle();
    if (n > 0 && this.o.onProgress && this.#lastData - this.#lastProgress >= PROGRESS_MS) {
      this.#lastProgress = this.#lastData;
      this.o.onProgress(this.progress());
    }
  }

  /** How far the body is: `640.0 KiB of 1.5 MiB (42%), 64.0 KiB/s, about 14 s left` (no total, no ETA). */
  progress(): string {
    const secs = Math.max(0.001, (Date.now() - this.#started) / 1000);
    const rate = this.#bytes / secs;
    const of = this.#total ? ` of ${bytes(this.#total)} (${Math.floor((100 * this.#bytes) / this.#total)}%)` : '';
    const eta = this.#total && rate > 0 ? `, about ${duration((1000 * Math.max(0, this.#total - this.#bytes)) / rate)} left` : '';
    return `${bytes(this.#bytes)}${of}, ${bytes(Math.round(rate))}/s${eta}`;
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#fire('idle'), this.o.idleMs);
  }

  #fire(why: 'idle' | 'total'): void {
    if (this.#why) return;
    this.#why = why;
    this.stop();
    this.#controller.abort(new Error(this.reason()));
  }

  #describeWait(): string {
    const now = Date.now();
    const quiet = now - this.#lastData;
    const limit = `gives up after ${duration(this.o.idleMs)} of silence`;
    if (this.#phase === 'headers') return `waiting for ${this.o.url} to answer: ${duration(now - this.#started)} so far (${limit})`;
    const progress = `${this.progress()} after ${duration(now - this.#started)}`;
    return quiet >= this.o.noticeMs ? `waiting for ${this.o.url}: ${progress}, nothing for ${duration(quiet)} (${limit})` : `downloading ${this.o.url}: ${progress}`;
  }
}

/** Progress is said at most this often. */
const PROGRESS_MS = 250;

/** `250 ms`, `30 s`, `10 min`, `1 h`: how long, for people. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function bytes(n: number): string {
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
