/**
 * A push-to-pull body channel with backpressure: a producer pushes chunks (from the filter
 * chain's sink), a consumer iterates them (the adapter writing to a socket, or the upstream
 * request). `ready()` resolves once the consumer has caught up below the high-water mark, so
 * a fast upstream cannot fill memory behind a slow client.
 */

const HIGH_WATER = 256 * 1024;

export class BodyChannel implements AsyncIterable<Uint8Array> {
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #drained: (() => void) | undefined;
  #cancelled = false;
  /** Called once when the consumer read the end, or stopped early (cancelled = true). */
  onFinish: ((cancelled: boolean) => void) | undefined;

  push(chunk: Uint8Array): void {
    if (this.#ended || this.#cancelled || chunk.byteLength === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    this.#notify();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#notify();
  }

  error(err: unknown): void {
    if (this.#ended) return;
    this.#error = err;
    this.#ended = true;
    this.#notify();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves when the consumer is below the high-water mark (at once if it is). */
  ready(): Promise<void> {
    if (this.#queued < HIGH_WATER || this.#cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for (;;) {
        while (this.#queue.length > 0) {
          const chunk = this.#queue.shift() as Uint8Array;
          this.#queued -= chunk.byteLength;
          if (this.#queued < HIGH_WATER && this.#drained) {
            const drained = this.#drained;
            this.#drained = undefined;
            drained();
          }
          yield chunk;
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error;
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      if (!finished) {
        this.#cancelled = true;
        this.#queue = [];
        this.#drained?.();
      }
      this.onFinish?.(!finished);
    }
  }
}
