/**
 * Runtime smoke cases: the same list runs on Node 20 (through vitest, smoke.test.ts), Deno 2
 * and Bun 1 (through run.ts). Runtime-neutral on purpose: plain `node:assert/strict`, no test
 * framework, no network, no timers, no files; every guest is built from WAT in memory and every
 * signature is a fixed test vector, so a run is deterministic and bounded (CPU loops are
 * stopped by fuel, memory by the page cap).
 *
 * The crypto case uses the adapter of the runtime it runs on (proxy/runtime/<runtime>/crypto.ts).
 */

import assert from "node:assert/strict";
import {
  createHost,
  encodePairs,
  type Filter,
  FilterTrapError,
  HeaderMap,
  HeadersStatus,
  type HostCrypto,
  type LocalReply,
  type LogEntry,
  Status,
} from "../../proxy/abi/index.ts";
import { infiniteLoopIn, memoryBomb, unreachableIn } from "../fixtures/hostile.ts";
import { buildGuestModule, GUEST_LAYOUT } from "../fixtures/proxy-wasm-wat.ts";
import { watString } from "../fixtures/wat.ts";

export type RuntimeName = "node" | "deno" | "bun";

export interface SmokeCase {
  name: string;
  run: () => Promise<void>;
}

/** Which runtime this is ("Deno" and "Bun" are their globals; anything else counts as Node). */
export function detectRuntime(): RuntimeName {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

/** The runtime's own crypto adapter, as the proxy would wire it. */
async function runtimeCrypto(runtime: RuntimeName): Promise<HostCrypto> {
  switch (runtime) {
    case "deno":
      return (await import("../../proxy/runtime/deno/crypto.ts")).denoCrypto;
    case "bun":
      return (await import("../../proxy/runtime/bun/crypto.ts")).bunCrypto;
    default:
      return (await import("../../proxy/runtime/node/crypto.ts")).nodeCrypto;
  }
}

// ---- helpers ---------------------------------------------------------------------------

/** A host whose log lines are kept (and shown in assertion messages) instead of printed. */
function quietHost(crypto?: HostCrypto) {
  const logs: string[] = [];
  const logger = (entry: LogEntry) => logs.push(`${entry.level} ${entry.filter}: ${entry.message}`);
  return { host: createHost({ logger, crypto }), logs };
}

interface Cycle {
  replies: LocalReply[];
  request: HeaderMap;
  response: HeaderMap;
  statuses: number[];
}

/** One request/response cycle (headers, body, trailers both ways), stopping at a local reply. */
function cycle(filter: Filter, path = "/smoke"): Cycle {
  const replies: LocalReply[] = [];
  const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r) });
  const request = new HeaderMap({ ":method": "POST", ":path": path, ":authority": "smoke.test" });
  const response = new HeaderMap({ ":status": "200" });
  const body = (s: string) => new TextEncoder().encode(s);
  const steps = [
    () => stream.onRequestHeaders(request, false),
    () => stream.onRequestBody(body("ping"), false),
    () => stream.onRequestTrailers(new HeaderMap({ "x-t": "1" })),
    () => stream.onResponseHeaders(response, false),
    () => stream.onResponseBody(body("pong"), false),
    () => stream.onResponseTrailers(new HeaderMap({ "x-t": "2" })),
  ];
  const statuses: number[] = [];
  for (const step of steps) {
    if (replies.length > 0) break;
    statuses.push(step());
  }
  stream.complete();
  return { replies, request, response, statuses };
}

const show = (logs: string[]) => (logs.length > 0 ? `\nhost log:\n  ${logs.join("\n  ")}` : "");

// ---- guests ----------------------------------------------------------------------------

const { scratch, strings, statusBase } = GUEST_LAYOUT;
const MAP_REQUEST_HEADERS = 0;
const MAP_RESPONSE_HEADERS = 2;

/**
 * Adds `x-weir-smoke: request` to the request and `x-weir-smoke: response` to the response,
 * and echoes the request's `:path` as the response's `x-seen-path` (which makes the host
 * allocate in the guest through `malloc`). Statuses of its host calls go to `statusBase + 4i`.
 */
function headerGuest(): Uint8Array {
  const s = {
    name: strings, // "x-weir-smoke" (12)
    request: strings + 16, // "request" (7)
    response: strings + 32, // "response" (8)
    path: strings + 48, // ":path" (5)
    seen: strings + 64, // "x-seen-path" (11)
  };
  const saved = scratch + 64; // ptr/len of the :path value, kept from request to response
  return buildGuestModule({
    data: [
      `(data (i32.const ${s.name}) "x-weir-smoke")`,
      `(data (i32.const ${s.request}) "request")`,
      `(data (i32.const ${s.response}) "response")`,
      `(data (i32.const ${s.path}) ":path")`,
      `(data (i32.const ${s.seen}) "x-seen-path")`,
    ],
    callbacks: {
      proxy_on_request_headers: `
        (i32.store (i32.const ${statusBase})
          (call $proxy_add_header_map_value (i32.const ${MAP_REQUEST_HEADERS}) (i32.const ${s.name}) (i32.const 12) (i32.const ${s.request}) (i32.const 7)))
        (i32.store (i32.const ${statusBase + 4})
          (call $proxy_get_header_map_value (i32.const ${MAP_REQUEST_HEADERS}) (i32.const ${s.path}) (i32.const 5) (i32.const ${scratch}) (i32.const ${scratch + 4})))
        (i32.store (i32.const ${saved}) (i32.load (i32.const ${scratch})))
        (i32.store (i32.const ${saved + 4}) (i32.load (i32.const ${scratch + 4})))
        (i32.const 0)`,
      proxy_on_response_headers: `
        (i32.store (i32.const ${statusBase + 8})
          (call $proxy_add_header_map_value (i32.const ${MAP_RESPONSE_HEADERS}) (i32.const ${s.name}) (i32.const 12) (i32.const ${s.response}) (i32.const 8)))
        (i32.store (i32.const ${statusBase + 12})
          (call $proxy_add_header_map_value (i32.const ${MAP_RESPONSE_HEADERS}) (i32.const ${s.seen}) (i32.const 11)
            (i32.load (i32.const ${saved})) (i32.load (i32.const ${saved + 4}))))
        (i32.const 0)`,
    },
  });
}

/**
 * Calls `weir.verify_signature` once per argument buffer from `proxy_on_request_headers`.
 * Call i stores its status as i32 at `statusBase + 8i` and the first result byte at
 * `statusBase + 8i + 4` (-1 when there is no one-byte result).
 */
function verifyGuest(argsList: Uint8Array[]): Uint8Array {
  const fn = "weir.verify_signature";
  const data = [`(data (i32.const ${strings}) ${watString(fn)})`];
  const calls: string[] = [];
  let offset = 4096;
  argsList.forEach((args, i) => {
    data.push(`(data (i32.const ${offset}) ${watString(args)})`);
    const status = statusBase + 8 * i;
    calls.push(`
      (i32.store (i32.const ${scratch}) (i32.const 0))
      (i32.store (i32.const ${scratch + 4}) (i32.const 0))
      (i32.store (i32.const ${status})
        (call $proxy_call_foreign_function (i32.const ${strings}) (i32.const ${fn.length})
          (i32.const ${offset}) (i32.const ${args.byteLength}) (i32.const ${scratch}) (i32.const ${scratch + 4})))
      (i32.store (i32.const ${status + 4})
        (if (result i32) (i32.eq (i32.load (i32.const ${scratch + 4})) (i32.const 1))
          (then (i32.load8_u (i32.load (i32.const ${scratch}))))
          (else (i32.const -1))))`);
    offset = (offset + args.byteLength + 7) & ~7;
  });
  assert.ok(offset <= GUEST_LAYOUT.heapBase, "verify_signature vectors do not fit below the heap");
  return buildGuestModule({ data, callbacks: { proxy_on_request_headers: `${calls.join("\n")}\n(i32.const 0)` } });
}

// ---- fixed signature vectors (made once with node:crypto; no key generation at run time) ----

const JWT_DATA_HS256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3ZWlyIiwiaWF0IjoxNzAwMDAwMDAwfQ";
const HS256_SECRET = "weir-smoke-secret";
const HS256_SIGNATURE = "PfKytJMU9L3fkNEnJpHBCoXQeLRx4k2GMfcoGqaixjk";

const JWT_DATA_ES256 = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3ZWlyIiwiaWF0IjoxNzAwMDAwMDAwfQ";
const ES256_JWK = JSON.stringify({
  kty: "EC",
  crv: "P-256",
  x: "llzCDgBMhAdWVCHYrG3ETbe6SxN1DJU2_HVJ63QHltI",
  y: "jO4n8X_HaodGXfHHSxVF2Ey_b8TxLMiAJ_mJ3YQeknY",
});
const ES256_PEM = [
  "-----BEGIN PUBLIC KEY-----",
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEllzCDgBMhAdWVCHYrG3ETbe6SxN1",
  "DJU2/HVJ63QHltKM7ifxf8dqh0Zd8cdLFUXYTL9vxPEsyIAn+YndhB6Sdg==",
  "-----END PUBLIC KEY-----",
  "",
].join("\n");
/** ES256 (P-256, SHA-256) over JWT_DATA_ES256, raw r||s as JWS uses, base64url. */
const ES256_SIGNATURE = "sqJcvRu6dvjn6IX_D-SPY70ChwvQMA9PE3TyzR_xo7Xw06OiDiM94VpR81lMwSUGO_Kr501NR0XOWdOxaSRt2g";

interface Vector {
  label: string;
  args: Record<string, string>;
  /** Expected status, and for OK the result byte (1 = valid). */
  status: number;
  valid?: 0 | 1;
}

const VECTORS: Vector[] = [
  {
    label: "HS256 valid",
    args: { alg: "HS256", key: HS256_SECRET, data: JWT_DATA_HS256, signature: HS256_SIGNATURE },
    status: Status.OK,
    valid: 1,
  },
  {
    label: "HS256 wrong secret",
    args: { alg: "HS256", key: `${HS256_SECRET}!`, data: JWT_DATA_HS256, signature: HS256_SIGNATURE },
    status: Status.OK,
    valid: 0,
  },
  {
    label: "HS256 tampered data",
    args: { alg: "HS256", key: HS256_SECRET, data: `${JWT_DATA_HS256}x`, signature: HS256_SIGNATURE },
    status: Status.OK,
    valid: 0,
  },
  {
    label: "ES256 valid (JWK)",
    args: { alg: "ES256", key: ES256_JWK, data: JWT_DATA_ES256, signature: ES256_SIGNATURE },
    status: Status.OK,
    valid: 1,
  },
  {
    label: "ES256 valid (PEM)",
    args: { alg: "ES256", key: ES256_PEM, data: JWT_DATA_ES256, signature: ES256_SIGNATURE },
    status: Status.OK,
    valid: 1,
  },
  {
    label: "ES256 tampered data",
    args: { alg: "ES256", key: ES256_JWK, data: `${JWT_DATA_ES256}x`, signature: ES256_SIGNATURE },
    status: Status.OK,
    valid: 0,
  },
  {
    label: "ES256 truncated signature",
    args: { alg: "ES256", key: ES256_PEM, data: JWT_DATA_ES256, signature: ES256_SIGNATURE.slice(0, 80) },
    status: Status.OK,
    valid: 0,
  },
  {
    label: "unsupported alg",
    args: { alg: "none", key: HS256_SECRET, data: JWT_DATA_HS256, signature: HS256_SIGNATURE },
    status: Status.BAD_ARGUMENT,
  },
];

// ---- cases -----------------------------------------------------------------------------

export const cases: SmokeCase[] = [
  {
    name: "loads a filter and runs a request/response cycle; the header it adds is in the request and the response",
    async run() {
      const { host, logs } = quietHost();
      const filter = await host.loadFilter({ name: "smoke-headers", module: headerGuest() });
      assert.equal(filter.state, "ready");
      const result = cycle(filter, "/smoke?q=1");
      assert.deepEqual(result.replies, [], `unexpected local reply${show(logs)}`);
      assert.deepEqual(result.statuses, new Array(6).fill(HeadersStatus.CONTINUE), `every callback continues${show(logs)}`);
      assert.equal(result.request.get("x-weir-smoke"), "request");
      assert.equal(result.response.get("x-weir-smoke"), "response");
      assert.equal(result.response.get("x-seen-path"), "/smoke?q=1");
      const view = new DataView(filter.vm.exports.memory.buffer);
      for (let i = 0; i < 4; i++) assert.equal(view.getInt32(statusBase + 4 * i, true), Status.OK, `host call ${i} status`);
      assert.equal(filter.vm.contexts.size, 1, "only the root context is left after complete()");
      // A second cycle on the same VM works as well.
      assert.equal(cycle(filter, "/again").response.get("x-seen-path"), "/again");
      assert.equal(filter.counters.streams, 2);
      assert.equal(filter.counters.failures, 0);
      filter.close();
    },
  },
  {
    name: "contains a trap: 503 wasm_fail_stream, and the host keeps serving a healthy filter",
    async run() {
      const { host, logs } = quietHost();
      const hostile = await host.loadFilter({ name: "smoke-trap", module: unreachableIn("proxy_on_request_headers") });
      const first = cycle(hostile);
      assert.equal(first.replies.length, 1, `one local reply${show(logs)}`);
      assert.equal(first.replies[0].status, 503);
      assert.equal(first.replies[0].details, "wasm_fail_stream");
      assert.equal(hostile.state, "failed");
      assert.ok(hostile.lastError instanceof FilterTrapError, "lastError is a FilterTrapError");
      assert.equal(hostile.lastError.kind, "trap");
      assert.equal(hostile.lastError.callback, "proxy_on_request_headers");
      assert.match(hostile.lastError.message, /^filter smoke-trap: proxy_on_request_headers: trapped: /);
      // Later streams on the failed VM fail closed without entering the guest.
      const second = cycle(hostile);
      assert.equal(second.replies[0]?.status, 503);
      assert.equal(hostile.counters.failures, 1);
      // The same host still loads and serves a healthy filter.
      const healthy = await host.loadFilter({ name: "smoke-healthy", module: headerGuest() });
      const ok = cycle(healthy);
      assert.deepEqual(ok.replies, [], `healthy filter replied${show(logs)}`);
      assert.equal(ok.request.get("x-weir-smoke"), "request");
      assert.equal(ok.response.get("x-weir-smoke"), "response");
      assert.equal(healthy.state, "ready");
    },
  },
  {
    name: "stops an infinite loop with the CPU budget (binaryen fuel metering)",
    async run() {
      const { host, logs } = quietHost();
      const module = infiniteLoopIn("proxy_on_request_headers");
      // Two budgets, so the units in the message come from the limit and not from a constant.
      for (const fuel of [10_000, 1_000_000]) {
        const started = performance.now();
        const filter = await host.loadFilter({ name: "smoke-spin", module, limits: { fuel } });
        const result = cycle(filter);
        assert.equal(result.replies.length, 1, `one local reply${show(logs)}`);
        assert.equal(result.replies[0].status, 503);
        assert.equal(result.replies[0].details, "wasm_fail_stream");
        assert.equal(filter.lastError?.kind, "fuel", filter.lastError?.message);
        assert.equal(
          filter.lastError?.message,
          `filter smoke-spin: proxy_on_request_headers: CPU budget exhausted: used its ${fuel} units`,
        );
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 20_000, `stopped in ${elapsed.toFixed(0)} ms`);
      }
    },
  },
  {
    name: "stops a memory bomb at the filter's page cap (limits.memoryPages)",
    async run() {
      const { host, logs } = quietHost();
      const pages = 64;
      const filter = await host.loadFilter({
        name: "smoke-bomb",
        module: memoryBomb("proxy_on_request_headers"),
        limits: { memoryPages: pages },
      });
      const result = cycle(filter);
      assert.equal(result.replies.length, 1, `one local reply${show(logs)}`);
      assert.equal(result.replies[0].status, 503);
      assert.equal(result.replies[0].details, "wasm_fail_stream");
      assert.equal(filter.lastError?.kind, "memory", filter.lastError?.message);
      assert.match(filter.lastError?.message ?? "", new RegExp(`memory at its cap of ${pages} pages`));
      assert.equal(filter.vm.exports.memory.buffer.byteLength, pages * 65536);
      // The host keeps serving.
      const healthy = await host.loadFilter({ name: "smoke-after-bomb", module: headerGuest() });
      assert.equal(cycle(healthy).request.get("x-weir-smoke"), "request");
    },
  },
  {
    name: "weir.verify_signature checks HS256 and ES256 signatures with the runtime's crypto adapter",
    async run() {
      const runtime = detectRuntime();
      const crypto = await runtimeCrypto(runtime);
      const { host, logs } = quietHost(crypto);
      const argsList = VECTORS.map((v) => encodePairs(Object.entries(v.args)));
      const filter = await host.loadFilter({ name: "smoke-verify", module: verifyGuest(argsList) });
      const result = cycle(filter);
      assert.deepEqual(result.replies, [], `unexpected local reply${show(logs)}`);
      assert.equal(filter.state, "ready");
      const view = new DataView(filter.vm.exports.memory.buffer);
      const got = VECTORS.map((v, i) => {
        const status = view.getInt32(statusBase + 8 * i, true);
        const valid = view.getInt32(statusBase + 8 * i + 4, true);
        return `${v.label}: status ${status}${status === Status.OK ? `, valid ${valid}` : ""}`;
      });
      const want = VECTORS.map((v) => `${v.label}: status ${v.status}${v.status === Status.OK ? `, valid ${v.valid}` : ""}`);
      assert.deepEqual(got, want, `verify_signature results on ${runtime}${show(logs)}`);
    },
  },
];
