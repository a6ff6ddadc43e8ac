/**
 * The retry filter through weir's testing kit: which responses it retries and which it lets
 * through, the delays it asks for, the budget it shares in shared data, the headers it adds
 * and the counters it keeps.
 *
 * The kit accepts every `weir.retry` and records the delay in `http.retries`; it does not run
 * the next attempt. `nextAttempt` does what weir's request path does after an accepted retry
 * (`FilterChain.retryResponse`): start the stream's response side over on the next attempt
 * (`weir.attempt` + 1) and run that attempt's response headers through the same stream.
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { HeaderMap, HeadersStatus } from "../../proxy/abi/index.ts";
import { type BuildFilterResult, buildFilterProject } from "../../sdk/build/build-filter.ts";
import { createTestHost, type TestHost, type TestHttpContext } from "../../sdk/testing/index.ts";
import "../../sdk/testing/matchers.ts";

let built: BuildFilterResult;

beforeAll(async () => {
  built = await buildFilterProject(dirname(fileURLToPath(import.meta.url)));
}, 180_000);

/** The filter with `config` (a fixed jitter seed unless told). */
function start(config: Record<string, unknown> = {}, options: Partial<Parameters<typeof createTestHost>[0]> = {}): Promise<TestHost> {
  return createTestHost({ wasmPath: built.wasmPath, config: { seed: 7, ...config }, ...options });
}

/** A stream whose request (no body) has passed the filter. */
function request(host: TestHost, method = "GET", headers: Record<string, string> = {}): TestHttpContext {
  const http = host.http();
  expect(
    http.requestHeaders({ ":method": method, ":path": "/orders/7", ":authority": "orders", ...headers }, { endOfStream: true }),
  ).toContinue();
  return http;
}

/** Response headers of the first attempt. */
function respond(http: TestHttpContext, status: number, headers: Record<string, string> = {}) {
  return http.responseHeaders({ ":status": String(status), ...headers }, { endOfStream: true });
}

/** What the proxy does after an accepted retry: the next attempt's response reaches the same stream. */
function nextAttempt(http: TestHttpContext, status: number, headers: Record<string, string> = {}): "continue" | "pause" {
  http.stream.resetResponse(http.stream.attempt + 1);
  const result = http.stream.onResponseHeaders(new HeaderMap({ ":status": String(status), ...headers }), true);
  return result === HeadersStatus.CONTINUE ? "continue" : "pause";
}

function counter(host: TestHost, name: string): number {
  return host.metrics.get(name) ?? 0;
}

function sharedI64(host: TestHost, key: string): bigint | undefined {
  const bytes = host.sharedData.bytes(key);
  return bytes === undefined ? undefined : new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true);
}

describe("retry filter: what it retries", () => {
  it("retries a 503 after a backoff, releases the held response on the next attempt and counts the success", async () => {
    const host = await start();
    const http = request(host);

    expect(respond(http, 503)).toPause();
    expect(http.retries).toHaveLength(1);
    expect(http.retries[0]).toBeGreaterThanOrEqual(0);
    expect(http.retries[0]).toBeLessThan(25);
    expect(counter(host, "cause.gateway-error.retry_attempts")).toBe(1);
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(1n);

    expect(nextAttempt(http, 200)).toBe("continue");
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(0n);
    expect(counter(host, "attempt.2.retry_success_after_retry")).toBe(1);
    http.complete();
    host.advance(100); // the root's tick shares the request's end
    expect(sharedI64(host, "weir.retry.default.active")).toBe(0n);
  });

  it.each([
    { retryOn: ["5xx"], status: 500, cause: "5xx" },
    { retryOn: ["5xx"], status: 503, cause: "gateway-error" },
    { retryOn: ["gateway-error"], status: 502, cause: "gateway-error" },
    { retryOn: ["gateway-error"], status: 504, cause: "gateway-error" },
    { retryOn: ["retriable-status-codes"], retriableStatusCodes: [429], status: 429, cause: "retriable-status-code" },
    { retryOn: ["reset"], status: 503, flags: "UR", cause: "reset" },
    { retryOn: ["reset"], status: 503, flags: "UC", cause: "reset" },
    { retryOn: ["reset"], status: 504, flags: "UT", cause: "timeout" },
    { retryOn: ["connect-failure"], status: 503, flags: "UF", cause: "connect-failure" },
    { retryOn: ["reset"], status: 503, flags: "URX,UF", cause: "connect-failure" },
    { retryOn: ["gateway-error"], status: 503, flags: "UF", cause: "connect-failure" },
  ])("retries $status $flags under retryOn $retryOn (cause $cause)", async ({ status, flags, cause, ...config }) => {
    const host = await start(config);
    const http = request(host);
    expect(respond(http, status, flags === undefined ? {} : { "x-weir-response-flags": flags })).toPause();
    expect(http.retries).toHaveLength(1);
    expect(counter(host, `cause.${cause}.retry_attempts`)).toBe(1);
  });

  it.each([
    { retryOn: ["gateway-error"], status: 500 },
    { retryOn: ["retriable-status-codes"], retriableStatusCodes: [429], status: 503 },
    { retryOn: ["connect-failure"], status: 503 },
    { retryOn: ["connect-failure"], status: 503, flags: "UR" },
    { retryOn: ["reset"], status: 503 },
    { retryOn: ["5xx"], status: 503, flags: "UO" }, // the proxy's circuit breaker: a retry adds load
    { retryOn: ["5xx"], status: 404, flags: "NR" },
    { retryOn: ["5xx"], status: 503, flags: "URX" }, // the route's own retries are spent
  ])("lets $status $flags through under retryOn $retryOn", async ({ status, flags, ...config }) => {
    const host = await start(config);
    const http = request(host);
    expect(respond(http, status, flags === undefined ? {} : { "x-weir-response-flags": flags })).toContinue();
    expect(http.retries).toEqual([]);
    expect(http.response.headers).toHaveHeader(":status", String(status));
  });

  it("reads the flags from the response.flags property when the proxy does not put them in a header", async () => {
    const host = await start({ retryOn: ["connect-failure"] });
    const http = host.http({ properties: { "response.flags": "UF" } });
    http.requestHeaders({ ":method": "GET", ":path": "/" }, { endOfStream: true });
    expect(respond(http, 503)).toPause();
    expect(counter(host, "cause.connect-failure.retry_attempts")).toBe(1);
  });

  it("lets a 404 through without a retry, a flags lookup or a counter", async () => {
    const host = await start({ retryOn: ["5xx", "reset", "connect-failure"] });
    const http = request(host);
    expect(respond(http, 404)).toContinue();
    expect(http.retries).toEqual([]);
    expect(host.metrics.all().filter((m) => m.value !== 0)).toEqual([]);
    http.complete();
  });

  it("stops at maxAttempts (3 attempts in all by default) and lets the last failure through", async () => {
    const host = await start();
    const http = request(host);
    expect(respond(http, 503)).toPause();
    expect(nextAttempt(http, 503)).toBe("pause");
    expect(nextAttempt(http, 503)).toBe("continue");
    expect(http.retries).toHaveLength(2);
    expect(counter(host, "cause.gateway-error.retry_attempts")).toBe(2);
    expect(counter(host, "reason.max_attempts.retry_given_up")).toBe(1);
    expect(counter(host, "attempt.3.retry_success_after_retry")).toBe(0);

    const once = await start({ maxAttempts: 1 });
    expect(respond(request(once), 503)).toContinue();
    expect(counter(once, "reason.max_attempts.retry_given_up")).toBe(1);
  });

  it("retries only idempotent methods unless idempotentOnly is false", async () => {
    const host = await start();
    const post = request(host, "POST");
    expect(respond(post, 503)).toContinue();
    expect(counter(host, "reason.method.retry_given_up")).toBe(1);
    expect(respond(request(host, "PUT"), 503)).toPause();

    const anyMethod = await start({ idempotentOnly: false });
    expect(respond(request(anyMethod, "POST"), 503)).toPause();
    expect(counter(anyMethod, "cause.gateway-error.retry_attempts")).toBe(1);
  });

  it("lets the failure through when the proxy refuses the retry, giving back what the budget lent", async () => {
    const host = await start();
    host.registerForeignFunction("weir.retry", () => Uint8Array.of(0));
    const http = request(host);
    expect(respond(http, 503)).toContinue();
    expect(counter(host, "reason.host_refused.retry_given_up")).toBe(1);
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(0n);
    expect(host.foreignCalls.map((call) => [call.name, call.args.byteLength])).toEqual([["weir.retry", 4]]);
  });

  it("passes responses on where the proxy has no weir.retry (another proxy-wasm host)", async () => {
    const host = await start({}, { capabilities: { foreignFunctions: [] } });
    expect(respond(request(host), 503)).toContinue();
    expect(counter(host, "reason.host_refused.retry_given_up")).toBe(1);
  });
});

describe("retry filter: backoff", () => {
  /** Delays asked for before retries 1…9 of one stream (the budget is made roomy). */
  async function delays(seed: number): Promise<number[]> {
    const host = await start({ seed, maxAttempts: 10, budget: { minRetriesPerSecond: 1000 } });
    const http = request(host);
    expect(respond(http, 503)).toPause();
    for (let attempt = 2; attempt < 10; attempt++) expect(nextAttempt(http, 503)).toBe("pause");
    expect(nextAttempt(http, 503)).toBe("continue");
    http.complete();
    return http.retries.map(Number);
  }

  const CEILINGS = [25, 50, 100, 200, 250, 250, 250, 250, 250]; // min(250, 25·2^(n-1))

  it("draws each delay in [0, min(250, 25·2^(n-1))) and the ceiling grows with the attempt", async () => {
    const samples = await Promise.all(Array.from({ length: 40 }, (_, i) => delays(i + 1)));
    for (const sample of samples) {
      expect(sample).toHaveLength(9);
      sample.forEach((delay, i) => {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(CEILINGS[i]);
      });
    }
    // Full jitter spreads over the whole range: the largest of 40 draws nears each ceiling.
    const largest = CEILINGS.map((_, i) => Math.max(...samples.map((s) => s[i])));
    for (const [i, max] of largest.entries()) expect(max).toBeGreaterThan(CEILINGS[i] * 0.75);
    expect(largest[3]).toBeGreaterThan(largest[0] * 2);
  });

  it("repeats its delays for the same seed and varies them across seeds", async () => {
    expect(await delays(42)).toEqual(await delays(42));
    expect(await delays(42)).not.toEqual(await delays(43));
  });

  it("honours a configured backoff", async () => {
    const host = await start({ backoff: { baseMs: 1, maxMs: 1 } });
    const http = request(host);
    respond(http, 503);
    expect(http.retries).toEqual([0]);
  });
});

describe("retry filter: budget", () => {
  it("allows 20% of active requests in flight, then 10 retries a second, refilled by the clock", async () => {
    const host = await start();
    const exhausted = () => counter(host, "retry_budget_exhausted");

    // One request at a time: 20% of 1 allows none, so each retry spends a token.
    for (let i = 0; i < 10; i++) {
      const http = request(host);
      expect(respond(http, 503)).toPause();
      http.complete();
    }
    const dry = request(host);
    expect(respond(dry, 503)).toContinue();
    expect(exhausted()).toBe(1);
    dry.complete();

    // Ten requests at once allow two retries in flight; the third finds no token.
    const streams = Array.from({ length: 10 }, () => request(host));
    expect(respond(streams[0], 503)).toPause();
    expect(sharedI64(host, "weir.retry.default.active")).toBe(10n); // a retry decision shares the count first
    expect(respond(streams[1], 503)).toPause();
    expect(respond(streams[2], 503)).toContinue();
    expect(exhausted()).toBe(2);
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(2n);

    // Tokens come back at 10 a second: one after 100 ms, all of them after a second.
    host.advance(100);
    expect(respond(streams[3], 503)).toPause();
    expect(respond(streams[4], 503)).toContinue();
    host.advance(1000);
    for (const http of streams.slice(5)) expect(respond(http, 503)).toPause();
    expect(exhausted()).toBe(3);

    // An answered retry leaves the flight; ended requests leave the active count.
    expect(nextAttempt(streams[0], 200)).toBe("continue");
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(7n);
    for (const http of streams) http.complete();
    expect(sharedI64(host, "weir.retry.default.retries")).toBe(0n);
    host.advance(100);
    expect(sharedI64(host, "weir.retry.default.active")).toBe(0n);
  });

  it("adds its active requests to the shared count on every tick, not on every request", async () => {
    const host = await start();
    expect(host.tickPeriod).toBe(100);
    const streams = Array.from({ length: 3 }, () => request(host));
    expect(sharedI64(host, "weir.retry.default.active")).toBeUndefined();
    host.advance(100);
    expect(sharedI64(host, "weir.retry.default.active")).toBe(3n);
    streams[0].complete();
    host.advance(100);
    expect(sharedI64(host, "weir.retry.default.active")).toBe(2n);
    const cas = host.sharedData.cas("weir.retry.default.active");
    host.advance(1000); // nothing changed: no writes
    expect(host.sharedData.cas("weir.retry.default.active")).toBe(cas);
    // When the plugin ends, what it has not shared yet is shared.
    for (const http of streams.slice(1)) http.complete();
    host.close();
    expect(sharedI64(host, "weir.retry.default.active")).toBe(0n);
  });

  it("counts in weir.retry.<scope>.* keys, which every filter with the same vm_id and scope shares", async () => {
    const host = await start({ budget: { scope: "orders", minRetriesPerSecond: 0 } });
    const mine = request(host);
    expect(respond(mine, 503)).toContinue(); // 1 active request: 20% allows no retry in flight
    expect(host.sharedData.keys()).toEqual(["weir.retry.orders.active"]);
    expect(sharedI64(host, "weir.retry.orders.active")).toBe(1n);
    // Another worker's instance adds 8 requests under way; with this one's two, 10 in all allow two retries.
    const nine = new Uint8Array(8);
    new DataView(nine.buffer).setBigInt64(0, 9n, true);
    host.sharedData.set("weir.retry.orders.active", nine);
    expect(respond(request(host), 503)).toPause();
    expect(sharedI64(host, "weir.retry.orders.active")).toBe(10n);
    expect(sharedI64(host, "weir.retry.orders.retries")).toBe(1n);
  });
});

describe("retry filter: request headers", () => {
  it("sends the attempt number in x-weir-attempt, replacing what the client sent", async () => {
    const host = await start();
    expect(request(host, "GET", { "x-weir-attempt": "9" }).request.headers).toHaveHeader("x-weir-attempt", "1");

    // A proxy that runs the request callbacks again for a retry gets that attempt's number
    // (weir runs them once: the header then says 1 on every attempt; see README.md).
    const http = request(host);
    expect(respond(http, 503)).toPause();
    http.stream.attempt = 2;
    const retried = new HeaderMap({ ":method": "GET", ":path": "/orders/7", "x-weir-attempt": "1" });
    expect(http.stream.onRequestHeaders(retried, true)).toBe(HeadersStatus.CONTINUE);
    expect(retried.get("x-weir-attempt")).toBe("2");
    http.complete();
    host.advance(100); // the root's next tick shares its count: the re-run request was counted once
    expect(sharedI64(host, "weir.retry.default.active")).toBe(1n);
  });

  it("uses the configured attempt header, or none", async () => {
    const named = await start({ attemptHeader: "X-Try" });
    expect(request(named).request.headers).toHaveHeader("x-try", "1");
    const none = await start({ attemptHeader: "" });
    expect(request(none).request.headers).not.toHaveHeader("x-weir-attempt");
  });

  it("forwards perTryTimeoutMs to the proxy in x-weir-per-try-timeout-ms", async () => {
    const host = await start({ perTryTimeoutMs: 750 });
    expect(request(host).request.headers).toHaveHeader("x-weir-per-try-timeout-ms", "750");
    const unset = await start();
    expect(request(unset).request.headers).not.toHaveHeader("x-weir-per-try-timeout-ms");
  });
});

describe("retry filter: configuration and build", () => {
  it.each([
    [
      { retryOn: ["5xx", "sometimes"] },
      'field "retryOn[1]" must be one of 5xx, gateway-error, reset, connect-failure, retriable-status-codes',
    ],
    [{ retryOn: [] }, 'field "retryOn" must list at least one condition'],
    [{ retriableStatusCodes: [429] }, 'field "retriableStatusCodes" is set but retryOn does not include "retriable-status-codes"'],
    [{ retryOn: ["retriable-status-codes"], retriableStatusCodes: [42] }, 'field "retriableStatusCodes[0]" must be an HTTP status code'],
    [{ maxAttempts: 0 }, 'field "maxAttempts" must be between 1 and 10'],
    [{ backoff: { baseMs: 100, maxMs: 10 } }, 'field "backoff.maxMs" must be at least baseMs (100)'],
    [{ budget: { percent: 20, ratio: 1 } }, 'field "budget.ratio" is not a known field'],
    [{ retries: 2 }, 'field "retries" is not a known field'],
  ])("refuses %j", async (config, message) => {
    await expect(start(config)).rejects.toThrow(message);
  });

  it("accepts every field of config.schema.json at its documented default", async () => {
    type Schema = { default?: unknown; properties?: Record<string, Schema> };
    const schema = built.manifest.configSchema as Schema;
    const defaults = (s: Schema): unknown =>
      s.properties === undefined ? s.default : Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, defaults(v)]));
    const config = defaults(schema) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual([
      "retryOn",
      "retriableStatusCodes",
      "maxAttempts",
      "perTryTimeoutMs",
      "idempotentOnly",
      "attemptHeader",
      "backoff",
      "budget",
      "seed",
    ]);
    const host = await createTestHost({ wasmPath: built.wasmPath, config });
    const http = request(host);
    expect(http.request.headers).toHaveHeader("x-weir-attempt", "1");
    expect(respond(http, 503)).toPause();
    expect(respond(request(host), 500)).toContinue(); // 500 is not a gateway error
  });

  it("builds to at most 64 KB, declaring the weir.retry capability", () => {
    expect(built.manifest.size).toBeLessThanOrEqual(64 * 1024);
    expect(built.manifest.capabilities).toMatchObject({ foreignFunctions: ["weir.retry"], sharedData: true, httpCalls: false });
    expect(built.warnings).toEqual([]);
  });
});
