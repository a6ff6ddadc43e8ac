import { describe, expect, it } from "vitest";
import { Abort, followAbort } from "./abort.ts";
import { BodyChannel, type BodySink } from "./body-channel.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c)).join("");

/** A sink that records what it is handed. */
class Recorder implements BodySink {
  chunks: Uint8Array[] = [];
  ended = false;
  failed: unknown;
  onData: ((chunk: Uint8Array) => void) | undefined;
  /** The chunks that came with their end. */
  lastWithEnd = 0;
  data(chunk: Uint8Array, end: boolean): void {
    this.chunks.push(chunk);
    if (end) {
      this.lastWithEnd++;
      this.ended = true;
    }
    this.onData?.(chunk);
  }
  end(): void {
    this.ended = true;
  }
  error(err: unknown): void {
    this.failed = err;
  }
}

describe("BodyChannel, taken by a subscribed sink", () => {
  it("hands over what was queued before subscribing, then each push as it comes, then the end", () => {
    const channel = new BodyChannel();
    const finished: boolean[] = [];
    channel.onFinish = (cancelled) => finished.push(cancelled);
    channel.push(bytes("a"));
    const sink = new Recorder();
    channel.subscribe(sink);
    expect(text(sink.chunks)).toBe("a");
    channel.push(bytes("b"));
    expect(text(sink.chunks)).toBe("ab"); // synchronously, no promise in between
    channel.end();
    expect(sink.ended).toBe(true);
    expect(finished).toEqual([false]);
  });

  it("queues while paused, tells the producer past the high-water mark, and drains on resume", () => {
    const channel = new BodyChannel();
    const sink = new Recorder();
    channel.subscribe(sink);
    channel.pause();
    let drains = 0;
    channel.onDrain = () => drains++;
    const big = new Uint8Array(128 * 1024);
    expect(channel.push(big)).toBe(true);
    expect(channel.push(big)).toBe(false); // 256 KiB queued: the producer should wait
    expect(channel.full).toBe(true);
    let ready = false;
    void channel.ready().then(() => (ready = true));
    channel.end();
    expect(sink.chunks).toHaveLength(0);
    expect(sink.ended).toBe(false);
    channel.resume();
    expect(sink.chunks).toHaveLength(2);
    expect(sink.ended).toBe(true);
    expect(drains).toBe(1);
    return Promise.resolve().then(() => expect(ready).toBe(true));
  });

  it("keeps the order when the sink pauses and resumes from inside a chunk", () => {
    const channel = new BodyChannel();
    const sink = new Recorder();
    sink.onData = (chunk) => {
      if (text([chunk]) === "1") {
        channel.pause();
        channel.push(bytes("2")); // the producer goes on while the consumer is paused
        channel.resume();
      }
    };
    channel.subscribe(sink);
    channel.push(bytes("1"));
    channel.push(bytes("3"));
    expect(text(sink.chunks)).toBe("123");
  });

  it("reports a producer's failure to the sink and as a cancelled finish", () => {
    const channel = new BodyChannel();
    const finished: boolean[] = [];
    channel.onFinish = (cancelled) => finished.push(cancelled);
    const sink = new Recorder();
    channel.subscribe(sink);
    channel.error(new Error("upstream reset"));
    expect((sink.failed as Error).message).toBe("upstream reset");
    expect(finished).toEqual([true]);
  });

  it("cancel drops the queue, refuses more, releases a waiting producer, and finishes as cancelled", async () => {
    const channel = new BodyChannel();
    const finished: boolean[] = [];
    channel.onFinish = (cancelled) => finished.push(cancelled);
    channel.push(new Uint8Array(300 * 1024));
    const waiting = channel.ready();
    channel.cancel();
    await waiting;
    expect(channel.push(bytes("late"))).toBe(false);
    expect(finished).toEqual([true]);
  });

  it("hands the last chunk with its end in one call, pushed together or queued", () => {
    const direct = new BodyChannel();
    const sink = new Recorder();
    let ends = 0;
    sink.end = () => ends++;
    direct.subscribe(sink);
    direct.push(bytes("a"));
    direct.push(bytes("b"), true);
    expect(text(sink.chunks)).toBe("ab");
    expect(sink.lastWithEnd).toBe(1);
    expect(ends).toBe(0);

    const queued = new BodyChannel();
    queued.push(bytes("x"));
    queued.end();
    const late = new Recorder();
    queued.subscribe(late);
    expect(late.lastWithEnd).toBe(1);
  });

  it("has one consumer", () => {
    const channel = new BodyChannel();
    channel.subscribe(new Recorder());
    expect(() => channel.subscribe(new Recorder())).toThrow(/one consumer/);
  });
});

describe("BodyChannel, iterated", () => {
  it("yields pushed chunks and ends", async () => {
    const channel = new BodyChannel();
    channel.push(bytes("x"));
    setTimeout(() => {
      channel.push(bytes("y"));
      channel.end();
    }, 1);
    const got: Uint8Array[] = [];
    for await (const chunk of channel) got.push(chunk);
    expect(text(got)).toBe("xy");
  });

  it("from() turns an async iterable into a channel and stops it when cancelled", async () => {
    let returned = false;
    let release: () => void = () => {};
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let step = 0;
        return {
          next: async () => {
            step++;
            if (step === 1) return { done: false, value: bytes("one") };
            await new Promise<void>((r) => (release = r)); // a slow source
            return { done: true, value: undefined };
          },
          return: async () => {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const channel = BodyChannel.from(source);
    const sink = new Recorder();
    channel.subscribe(sink);
    await new Promise((r) => setTimeout(r, 5));
    expect(text(sink.chunks)).toBe("one");
    channel.cancel();
    expect(returned).toBe(true); // at once, while a read is pending
    release();
  });
});

describe("Abort", () => {
  it("runs its listeners once, in order, with the reason readable", () => {
    const abort = new Abort();
    const calls: string[] = [];
    const second = () => calls.push("second");
    abort.addEventListener("abort", () => calls.push(`first:${(abort.reason as Error).message}`));
    abort.addEventListener("abort", second);
    abort.addEventListener("abort", () => calls.push("third"));
    abort.removeEventListener("abort", second);
    abort.abort(new Error("timeout"));
    abort.abort(new Error("again"));
    expect(abort.aborted).toBe(true);
    expect(calls).toEqual(["first:timeout", "third"]);
  });

  it("removing the first listener keeps the others", () => {
    const abort = new Abort();
    const calls: number[] = [];
    const one = () => calls.push(1);
    abort.addEventListener("abort", one);
    abort.addEventListener("abort", () => calls.push(2));
    abort.removeEventListener("abort", one);
    abort.abort();
    expect(calls).toEqual([2]);
  });

  it("followAbort follows it with a real AbortController, which can also be aborted alone", () => {
    const abort = new Abort();
    const follower = followAbort(abort);
    expect(follower.signal).toBeInstanceOf(AbortSignal);
    abort.abort(new Error("gone"));
    expect(follower.signal.aborted).toBe(true);
    expect((follower.signal.reason as Error).message).toBe("gone");
    expect(followAbort(abort).signal.aborted).toBe(true); // already aborted: born aborted

    const core = new Abort();
    const timedOut = followAbort(core);
    timedOut.abort(new Error("headers timeout"));
    expect((timedOut.signal.reason as Error).message).toBe("headers timeout");
    expect(core.aborted).toBe(false); // the attempt's own abort does not reach the core's
    core.abort(new Error("later"));
    expect((timedOut.signal.reason as Error).message).toBe("headers timeout");
  });
});
