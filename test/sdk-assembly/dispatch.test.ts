/**
 * The dispatcher under load and across contexts: per-stream state stays with its stream
 * through hundreds of interleaved streams (context-id table inserts, lookups and deletes),
 * and a root callback acting on streams makes each one effective first.
 */

import { describe, expect, it } from "vitest";
import { type Filter, HeaderMap, HeadersStatus, type HttpStream } from "../../proxy/abi/index.ts";
import { loadSdkFilter } from "./support.ts";

/** A deterministic shuffle (LCG), so a failure reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe("sdk dispatcher", () => {
  it("keeps each stream's state through 2000 interleaved streams", async () => {
    const { filter, misuse } = await loadSdkFilter("state");
    let open: { stream: HttpStream; id: string }[] = [];
    let next = 0;
    const finish = (entry: { stream: HttpStream; id: string }) => {
      const response = new HeaderMap({ ":status": "200" });
      entry.stream.onResponseHeaders(response, true);
      expect(response.get("x-id")).toBe(`${entry.id}/${entry.stream.id}`);
      entry.stream.complete();
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) {
        const stream = filter.createStream();
        const id = `r${next++}`;
        stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-id": id }), true);
        open.push({ stream, id });
      }
      // Finish a random half, so live ids are scattered across the table.
      const order = shuffled(open, round + 1);
      for (const entry of order.slice(0, order.length / 2)) finish(entry);
      open = order.slice(order.length / 2);
    }
    for (const entry of open) finish(entry);
    expect(filter.state).toBe("ready");
    expect(misuse).toEqual([]);
  });

  it("lets a root resume streams from onTick, making each stream effective first", async () => {
    const { filter, misuse } = await loadSdkFilter("state");
    const resumed: number[] = [];
    const hold = (f: Filter) => {
      const stream = f.createStream({ continueRequest: () => resumed.push(stream.id) });
      const request = new HeaderMap({ ":path": "/", "x-hold": "1" });
      expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
      return { stream, request };
    };
    const a = hold(filter);
    const b = hold(filter);
    filter.tick();
    expect(resumed).toEqual([a.stream.id, b.stream.id]);
    expect([a.request.get("x-released"), b.request.get("x-released")]).toEqual(["tick", "tick"]);
    expect(misuse).toEqual([]);
  });
});
