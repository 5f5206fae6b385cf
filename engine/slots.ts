/** A counting semaphore: at most N rule runs at once (`-j N`). */
export class Slots {
  #free: number;
  #waiting: { wake: () => void; fail: (reason: unknown) => void; signal: AbortSignal }[] = [];
  /** One abort listener per signal, however many runs wait on it (Node warns past ten listeners). */
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  /** Waits for a free slot; rejects if `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    if (!this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener(
        'abort',
        () => {
          const mine = this.#waiting.filter((w) => w.signal === signal);
          this.#waiting = this.#waiting.filter((w) => w.signal !== signal);
          for (const w of mine) w.fail(signal.reason);
        },
        { once: true },
      );
    }
    await new Promise<void>((wake, fail) => this.#waiting.push({ wake, fail, signal }));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next.wake();
    else this.#free++;
  }
}
