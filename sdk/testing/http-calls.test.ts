/**
 * Pins the test host's `proxy_http_call` upstream: what a dispatched call records, the three
 * ways it ends (answer, failure, timeout on the manual clock), cancellation when its stream
 * completes, the `clusters` list, and the errors for settling a call twice.
 */

import { describe, expect, it } from "vitest";
import { encodePairs } from "../../proxy/abi/index.ts";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createTestHost, type TestHostOptions } from "./index.ts";
import "./matchers.ts";

const HEADERS = encodePairs([
  [":method", "GET"],
  [":path", "/check"],
  [":authority", "auth"],
]);
const STRINGS = ["auth", "ping", "answered", "upstream failed", HEADERS] as const;
const bytes = STRINGS.map((v) => (typeof v === "string" ? new TextEncoder().encode(v) : v));
const s = (i: number) => `(i32.const ${4096 + 64 * i}) (i32.const ${bytes[i].byteLength})`;
const dispatch = `(call $proxy_http_call ${s(0)} ${s(4)} ${s(1)} (i32.const 0) (i32.const 0) (i32.load (i32.const 3008)) (i32.const 256))`;

/**
 * Calls cluster "auth" from request headers (timeout from address 3008) and pauses; on_tick
 * calls it from the root context. The answer logs its body and continues the stream; a
 * failure sends 502. A refused dispatch sends 500.
 */
const CALLER = buildGuestModule({
  data: bytes.map((b, i) => `(data (i32.const ${4096 + 64 * i}) ${watString(b)})`),
  callbacks: {
    proxy_on_request_headers: `
      (i32.store (i32.const 3000) (local.get $0))
      (if (i32.ne ${dispatch} (i32.const 0))
        (then (drop (call $proxy_send_local_response (i32.const 500) (i32.const 0) (i32.const 0) ${s(3)} (i32.const 0) (i32.const 0) (i32.const -1)))))
      (i32.const 1)`,
    proxy_on_tick: `(drop ${dispatch})`,
    proxy_on_http_call_response: `
      (drop (call $proxy_set_effective_context (i32.load (i32.const 3000))))
      (if (local.get $2)
        (then
          (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (local.get $3) (i32.const 300) (i32.const 304)))
          (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 300)) (i32.load (i32.const 304))))
          (drop (call $proxy_continue_stream (i32.const 0))))
        (else (drop (call $proxy_send_local_response (i32.const 502) (i32.const 0) (i32.const 0) ${s(3)} (i32.const 0) (i32.const 0) (i32.const -1)))))`,
  },
});

async function start(timeoutMs = 1000, options: Partial<TestHostOptions> = {}) {
  const host = await createTestHost({ wasm: CALLER, name: "caller", limits: { fuel: false }, ...options });
  new DataView(host.filter.vm.exports.memory.buffer).setUint32(3008, timeoutMs, true);
  const http = host.http();
  return { host, http, result: http.requestHeaders({ ":path": "/" }, { endOfStream: true }) };
}

describe("http calls", () => {
  it("records the call and delivers the answer to the filter", async () => {
    const { host, http, result } = await start();
    expect(result).toPause();
    const [call] = host.httpCalls;
    expect(call).toMatchObject({ token: 4, cluster: "auth", body: "ping", timeoutMs: 1000, state: "pending" });
    expect(call.http).toBe(http);
    expect(call.headers).toHaveHeader(":path", "/check");
    expect(call.headers).toHaveHeader("content-length", "4");
    await call.respond({ status: 200, headers: { "x-a": "1" }, body: "pong" });
    expect([call.state, host.pendingHttpCalls, host.logs.info]).toEqual(["answered", [], ["pong"]]);
    expect(http).toContinue();
    expect(http.continues).toEqual(["request"]);
  });

  it("fails a call as a reset: the filter gets no headers", async () => {
    const { host, http } = await start();
    await host.httpCalls[0].fail("connect refused");
    expect(host.httpCalls[0].state).toBe("failed");
    expect(http).toRespondWith(502, { body: "upstream failed" });
  });

  it("times a call out when the manual clock passes its timeout, or at once with timeout()", async () => {
    const { host, http } = await start(1000);
    host.advance(999);
    expect(host.httpCalls[0].state).toBe("pending");
    host.advance(1);
    expect(host.httpCalls[0].state).toBe("timed-out");
    expect(http).toRespondWith(502);
    const second = host.http();
    second.requestHeaders({ ":path": "/" }, { endOfStream: true });
    host.httpCalls[1].timeout();
    expect([host.httpCalls[1].state, host.clock.monotonic()]).toEqual(["timed-out", 1000]);
    expect(second).toRespondWith(502);
  });

  it("refuses timeout() for a call without one, and settling a call twice", async () => {
    const { host } = await start(0);
    const [call] = host.httpCalls;
    expect(() => call.timeout()).toThrow('timeout() on the http call to "auth" (token 4): the filter gave it no timeout (0 ms)');
    await call.respond();
    expect(() => call.fail()).toThrow('fail() on the http call to "auth" (token 4), which is already answered');
  });

  it("cancels a stream's pending calls when it completes", async () => {
    const { host, http } = await start();
    http.complete();
    expect(host.httpCalls[0].state).toBe("cancelled");
    expect(() => host.httpCalls[0].respond()).toThrow("which is already cancelled");
  });

  it("records a call from the root context without a stream", async () => {
    const { host } = await start();
    host.tick();
    expect(host.httpCalls.map((c) => [c.token, c.http === undefined])).toEqual([
      [4, false],
      [8, true],
    ]);
  });

  it("knows only the listed clusters when given `clusters`", async () => {
    const { host, http } = await start(1000, { clusters: ["other"] });
    expect(host.httpCalls).toEqual([]);
    expect(http).toRespondWith(500);
    expect(host).toHaveLogged("warn", '[host] http call to unknown cluster "auth"');
  });
});
