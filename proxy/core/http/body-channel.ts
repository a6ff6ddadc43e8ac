/**
 * A body on its way through the proxy, with backpressure: a producer pushes chunks (the
 * upstream connection, the filter chain's sink), one consumer takes them (the adapter writing
 * to a socket, the upstream request, the filter chain).
 *
 * The consumer either iterates (`for await`, for code that wants a pull stream) or subscribes
 * a sink, which is handed each chunk synchronously as it is pushed. Subscribing is the hot
 * path: a small response goes from the upstream socket to the client's in one turn of the
 * event loop, with no promise or async generator per chunk (those cost several µs per request
 * in the proxy benchmark's profile). A subscriber that cannot keep up calls `pause()` and
 * `resume()`; the producer sees `push` return false past the high-water mark and may wait with
 * `ready()` or `onDrain`.
 */

const HIGH_WATER = 256 * 1024;

/** Where a subscribed consumer gets the body. */
export interface BodySink {
  /**
   * A chunk; `end` when it is the last one, known as it is handed over (the producer pushed it
   * with its end, or the end was queued behind it) — then `end()` is not called.
   */
  data(chunk: Uint8Array, end: boolean): void;
  /** The body ended after the chunks already handed over; nothing follows. */
  end(): void;
  /** The producer failed; nothing follows. */
  error(err: unknown): void;
}

export class BodyChannel implements AsyncIterable<Uint8Array> {
  /**
   * `body` as a channel: itself when it is one, or a channel an async loop fills from it (a
   * runtime's fetch body), with backpressure. Cancelling the channel stops the source.
   */
  static from(body: AsyncIterable<Uint8Array>): BodyChannel {
    if (body instanceof BodyChannel) return body;
    const channel = new BodyChannel();
    void (async () => {
      const iterator = body[Symbol.asyncIterator]();
      // Cancelled: stop the source now, even while a read is pending.
      channel.#stop = () => void iterator.return?.()?.catch(() => {});
      try {
        for (;;) {
          if (channel.#cancelled) return;
          const next = await iterator.next();
          if (next.done) break;
          if (!channel.push(next.value)) await channel.ready();
        }
        channel.end();
      } catch (err) {
        channel.error(err);
      }
    })();
    return channel;
  }

  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #cancelled = false;
  #finished = false;
  #sink: BodySink | undefined;
  #paused = false;
  #flushing = false;
  /** Stops the source of a channel made by `from`. */
  #stop: (() => void) | undefined;
  /** An iterating consumer waiting for a chunk. */
  #wake: (() => void) | undefined;
  /** A producer waiting in `ready()`. */
  #drained: (() => void) | undefined;
  /** Called once when the consumer took the end, or stopped early (cancelled = true). */
  onFinish: ((cancelled: boolean) => void) | undefined;
  /** Called each time the queue falls back below the high-water mark (the producer may push again). */
  onDrain: (() => void) | undefined;

  /**
   * Queues or delivers a chunk, and with `end` ends the body after it (a producer that knows
   * its last chunk lets the consumer take both in one call). False when the consumer is behind
   * (past the high-water mark).
   */
  push(chunk: Uint8Array, end = false): boolean {
    if (this.#ended || this.#cancelled) return false;
    if (chunk.byteLength === 0) {
      if (end) this.end();
      return true;
    }
    if (this.#sink !== undefined && !this.#paused && !this.#flushing && this.#queue.length === 0) {
      if (end) {
        this.#ended = true;
        this.#finish().data(chunk, true);
        this.onFinish?.(false);
        return true;
      }
      this.#sink.data(chunk, false);
      return !this.#cancelled;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (end) this.#ended = true;
    this.#notify();
    return this.#queued < HIGH_WATER;
  }

  /** Marks the body as taken and detaches the sink, returning it. */
  #finish(): BodySink {
    this.#finished = true;
    const sink = this.#sink as BodySink;
    this.#sink = undefined;
    return sink;
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

  /** The consumer is behind: the queue is past the high-water mark. */
  get full(): boolean {
    return this.#queued >= HIGH_WATER;
  }

  /** Resolves when the consumer is below the high-water mark (at once if it is). */
  ready(): Promise<void> {
    if (this.#queued < HIGH_WATER || this.#cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  // ---- push consumer ----------------------------------------------------------------------

  /** Takes the body by callbacks: what is queued now, then each chunk as it is pushed. */
  subscribe(sink: BodySink): void {
    if (this.#sink !== undefined || this.#wake !== undefined) throw new Error("a body has one consumer");
    this.#sink = sink;
    this.#flush();
  }

  /** The subscriber is behind: queue what comes until `resume()`. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flush();
  }

  /** The consumer stops taking the body: what is queued is dropped and the producer is released. */
  cancel(): void {
    if (this.#finished || this.#cancelled) return;
    this.#cancelled = true;
    this.#sink = undefined;
    this.#queue = [];
    this.#queued = 0;
    this.#release();
    this.#stop?.();
    this.onFinish?.(true);
  }

  #notify(): void {
    if (this.#sink !== undefined) {
      this.#flush();
      return;
    }
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #flush(): void {
    if (this.#flushing) return; // a sink callback pushed or resumed: the running loop picks it up
    this.#flushing = true;
    try {
      while (!this.#paused && !this.#cancelled && this.#sink !== undefined) {
        if (this.#queue.length > 0) {
          const chunk = this.#take();
          if (this.#queue.length === 0 && this.#ended && this.#error === undefined) {
            this.#finish().data(chunk, true);
            this.onFinish?.(false);
            return;
          }
          this.#sink.data(chunk, false);
          continue;
        }
        if (this.#ended && !this.#finished) {
          const sink = this.#finish();
          if (this.#error !== undefined) sink.error(this.#error);
          else sink.end();
          this.onFinish?.(this.#error !== undefined);
        }
        return;
      }
    } finally {
      this.#flushing = false;
    }
  }

  #take(): Uint8Array {
    const chunk = this.#queue.shift() as Uint8Array;
    const before = this.#queued;
    this.#queued -= chunk.byteLength;
    if (before >= HIGH_WATER && this.#queued < HIGH_WATER) this.#release();
    return chunk;
  }

  #release(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
    this.onDrain?.();
  }

  // ---- pull consumer ----------------------------------------------------------------------

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    if (this.#sink !== undefined) throw new Error("a body has one consumer");
    let finished = false;
    try {
      for (;;) {
        while (this.#queue.length > 0) yield this.#take();
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
      if (finished) {
        this.#finished = true;
        this.onFinish?.(false);
      } else this.cancel(); // the consumer stopped early, or the producer failed
    }
  }
}
