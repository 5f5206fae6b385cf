/**
 * Watch mode's state machine: turns a stream of change notifications into builds, one at a time.
 *
 * It knows nothing of files, configs or builds: the caller feeds it `change(path)` notifications (from
 * chokidar in the CLI, by hand in tests) and gives it a `run` function for one build cycle. Time comes from
 * an injected {@link WatchClock}, so tests drive the debounce with a fake clock instead of sleeping.
 */

/** Milliseconds and one-shot timers, injected so the debounce is testable without real time. */
export interface WatchClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it (a no-op once it has fired). */
  setTimer(ms: number, fn: () => void): () => void;
}

/** What one build cycle is asked to handle. */
export interface WatchCycle {
  /** 1 for the first cycle (started by {@link WatchLoop.runNow}), then 2, 3, … */
  cycle: number;
  /** Every distinct path notified since the previous cycle started, sorted; empty for a `runNow` with none pending. */
  changes: string[];
  /** How many notifications were coalesced into this cycle (saves by rename often give several per save). */
  notifications: number;
}

/**
 * The states and what moves between them. A change during a build never starts a second build beside
 * it: it queues exactly one follow-up, which takes every change made meanwhile.
 *
 * ```
 *                           change: restart the timer
 *                                 ┌──────┐
 *             change              ▼      │     quiet for debounceMs
 *  ┌──────┐ ─────────▶ ┌────────────┐ ───┘ ─────────────────────────▶ ┌─────────┐
 *  │ idle │            │ debouncing │                                 │ running │
 *  └──────┘            └────────────┘ ◀──────────┐                    └─────────┘
 *     ▲                                          │ run ends: wait out   │     │
 *     │                                          │ the rest of the last │     │ change
 *     │                                          │ change's quiet time  │     ▼
 *     │                                          │                   ┌────────┐
 *     │                                          └────────────────── │ queued │ ◀─┐ change:
 *     │                                                              └────────┘ ──┘ collected
 *     └────────────────────── run ends, no change meanwhile ──────────── running
 *
 *  runNow(): idle or debouncing → running at once (the first build); running → queued.
 *  stop():   any state → stopping: timers cancelled, pending changes dropped, a running build waited for.
 * ```
 */
export type WatchState = 'idle' | 'debouncing' | 'running' | 'queued' | 'stopping';

export interface WatchLoopOptions {
  /** Quiet time after the last change before a build starts: editors write a save in several steps. */
  debounceMs: number;
  clock: WatchClock;
  /** One build cycle. It should report its own errors; a rejection goes to `onError` and watching goes on. */
  run(cycle: WatchCycle): Promise<void>;
  /** A cycle that threw (a bug or an unexpected failure); the loop keeps watching. */
  onError?(err: unknown, cycle: WatchCycle): void;
  /** Every state change, for logging and tests. */
  onState?(from: WatchState, to: WatchState): void;
}

/** The loop: feed it changes, start it with `runNow()`, end it with `stop()`. */
export class WatchLoop {
  #state: WatchState = 'idle';
  #pending = new Set<string>();
  #notifications = 0;
  #lastChangeAt = 0;
  #cancelTimer: (() => void) | undefined;
  #cycles = 0;
  #stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(private readonly opts: WatchLoopOptions) {
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  get state(): WatchState {
    return this.#state;
  }

  /** Cycles started so far. */
  get cycles(): number {
    return this.#cycles;
  }

  /** Resolves once `stop()` was called and no build is running any more. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /** A watched path changed (was written, replaced by a rename, created or deleted). */
  change(path: string): void {
    if (this.#state === 'stopping') return;
    this.#pending.add(path);
    this.#notifications++;
    this.#lastChangeAt = this.opts.clock.now();
    switch (this.#state) {
      case 'idle':
      case 'debouncing':
        this.#debounce(this.opts.debounceMs);
        break;
      case 'running':
        this.#to('queued');
        break;
      case 'queued':
        break; // collected: the one follow-up build takes it
    }
  }

  /** Builds now, without waiting for a quiet period (the first build); during a build, queues a follow-up. */
  runNow(): void {
    if (this.#state === 'idle' || this.#state === 'debouncing') this.#start();
    else if (this.#state === 'running') this.#to('queued');
  }

  /** Stops watching: no new build starts. Resolves when a build still running has ended (it sees its own abort signal). */
  stop(): Promise<void> {
    if (this.#state !== 'stopping') {
      const wasRunning = this.#state === 'running' || this.#state === 'queued';
      this.#clearTimer();
      this.#pending.clear();
      this.#to('stopping');
      if (!wasRunning) this.#resolveStopped();
    }
    return this.#stopped;
  }

  #debounce(ms: number): void {
    this.#clearTimer();
    this.#to('debouncing');
    this.#cancelTimer = this.opts.clock.setTimer(ms, () => {
      this.#cancelTimer = undefined;
      if (this.#state === 'debouncing') this.#start();
    });
  }

  #start(): void {
    this.#clearTimer();
    const cycle: WatchCycle = { cycle: ++this.#cycles, changes: [...this.#pending].sort(), notifications: this.#notifications };
    this.#pending.clear();
    this.#notifications = 0;
    this.#to('running');
    // The run is started synchronously but awaited through a promise chain: a run that throws at once
    // is handled exactly like one that rejects later.
    void Promise.resolve()
      .then(() => this.opts.run(cycle))
      .catch((err) => this.opts.onError?.(err, cycle))
      .then(() => this.#ended());
  }

  #ended(): void {
    if (this.#state === 'stopping') return this.#resolveStopped();
    if (this.#state === 'queued') {
      // The changes that came during the build may be the first half of a save: give the last of them
      // what is left of its quiet period (often nothing, as builds outlast the debounce).
      const left = this.#lastChangeAt + this.opts.debounceMs - this.opts.clock.now();
      if (left <= 0) this.#start();
      else this.#debounce(left);
      return;
    }
    this.#to('idle');
  }

  #clearTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #to(next: WatchState): void {
    const from = this.#state;
    if (from === next) return;
    this.#state = next;
    this.opts.onState?.(from, next);
  }
}
