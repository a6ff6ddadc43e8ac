/**
 * @weir/ratelimit through weir's real host (the testing kit), with the manual clock: bucket
 * math, headers, descriptors and their keys, shadow mode, sharing across VMs, CAS races,
 * bounded storage and configuration errors.
 */

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type SharedData } from "../../proxy/abi/index.ts";
import { type BuildFilterResult, buildFilterProject } from "../../sdk/build/build-filter.ts";
import { createTestHost, ManualClock, type TestHost, TestHttpContext } from "../../sdk/testing/index.ts";
import "../../sdk/testing/matchers.ts";

const PROJECT = fileURLToPath(new URL(".", import.meta.url));
let build: BuildFilterResult;
let wasm: Uint8Array;

beforeAll(async () => {
  build = await buildFilterProject(PROJECT);
  wasm = new Uint8Array(await readFile(build.wasmPath));
}, 180_000);

const perIp = (requests: number, per: string, extra: object = {}) => ({
  descriptors: [{ name: "per-ip", key: [{ source: "remote_address" }], limit: { requests, per, ...extra } }],
});

const load = (config: object, options: { vmId?: string } = {}) => createTestHost({ wasm, config, name: "ratelimit", ...options });

/** One request from `ip` with `headers`; returns the stream after its request headers. */
function request(host: TestHost, ip: string | null, headers: Record<string, string> = {}, properties: Record<string, string> = {}) {
  const http = host.http({ properties: ip === null ? properties : { "source.address": ip, ...properties } });
  http.requestHeaders({ ":method": "GET", ":path": "/api/items?page=2", ":authority": "app", ...headers }, { endOfStream: true });
  return http;
}

/** A request that must pass; returns the headers of its response. */
function allowed(host: TestHost, ip: string | null, headers: Record<string, string> = {}, properties: Record<string, string> = {}) {
  const http = request(host, ip, headers, properties);
  expect(http).toContinue();
  expect(http.responseHeaders({ ":status": "200" }, { endOfStream: true })).toContinue();
  http.complete();
  return http.response.headers!;
}

/** Buckets in shared data by logical key: slot, tokens (fractional) and last update (ms). */
function buckets(host: TestHost): Record<string, { slot: string; tokens: number; last: number }> {
  const out: Record<string, { slot: string; tokens: number; last: number }> = {};
  for (const slot of host.sharedData.keys()) {
    const bytes = host.sharedData.bytes(slot) as Uint8Array;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const key = new TextDecoder().decode(bytes.subarray(16));
    out[key] = { slot, tokens: Number(view.getBigInt64(0, true)) / 1e6, last: Number(view.getBigInt64(8, true)) };
  }
  return out;
}

/** A slot value as another worker would write it. */
function bucketValue(key: string, tokens: number, lastMs: number): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const out = new Uint8Array(16 + keyBytes.byteLength);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, BigInt(Math.round(tokens * 1e6)), true);
  view.setBigInt64(8, BigInt(lastMs), true);
  out.set(keyBytes, 16);
  return out;
}

describe("token buckets", () => {
  it("lets 3 requests a second through, then answers 429 with RateLimit-* and Retry-After", async () => {
    const host = await load(perIp(3, "1s"));
    const seen = [1, 2, 3].map(() => allowed(host, "10.0.0.1:5000"));
    expect(seen.map((h) => h.get("ratelimit-remaining"))).toEqual(["2", "1", "0"]);
    for (const headers of seen) expect(headers).toHaveHeader("ratelimit-limit", "3");
    expect(seen[0]).toHaveHeader("ratelimit-reset", "1"); // one token missing: back in 334 ms

    const fourth = request(host, "10.0.0.1:5001"); // another port, same client
    expect(fourth).toStop();
    expect(fourth).toRespondWith(429, { body: "rate limited\n", details: "local_rate_limited" });
    const reply = fourth.localResponse!;
    expect(reply.headers).toHaveHeader("ratelimit-limit", "3");
    expect(reply.headers).toHaveHeader("ratelimit-remaining", "0");
    expect(reply.headers).toHaveHeader("ratelimit-reset", "1");
    expect(reply.headers).toHaveHeader("retry-after", "1");
    expect(reply.grpcStatus).toBe(8); // RESOURCE_EXHAUSTED for gRPC clients

    allowed(host, "10.0.0.2:5000"); // another client has its own bucket
    expect(host.metrics.get("descriptor.per-ip.ratelimit_allowed")).toBe(4);
    expect(host.metrics.get("descriptor.per-ip.ratelimit_limited")).toBe(1);
  });

  it("refills continuously: partial refills, Retry-After and RateLimit-Reset follow the bucket", async () => {
    const host = await load(perIp(6, "1m")); // one token every 10 s
    for (let i = 0; i < 6; i++) allowed(host, "10.0.0.1:1");
    expect(request(host, "10.0.0.1:1").localResponse?.headers).toHaveHeader("retry-after", "10");

    host.advance(15_000); // 1.5 tokens
    expect(allowed(host, "10.0.0.1:1")).toHaveHeader("ratelimit-remaining", "0");
    const denied = request(host, "10.0.0.1:1").localResponse!;
    expect(denied.status).toBe(429);
    expect(denied.headers).toHaveHeader("retry-after", "5"); // the missing half token
    expect(denied.headers).toHaveHeader("ratelimit-reset", "55"); // 5.5 tokens to full
    expect(buckets(host)["weir:rl:v1:per-ip:10.0.0.1"].tokens).toBeCloseTo(0.5, 6);

    host.advance(4_999);
    expect(request(host, "10.0.0.1:1")).toRespondWith(429);
    host.advance(1);
    allowed(host, "10.0.0.1:1");
  });

  it("holds `burst` tokens, refilled at requests/per", async () => {
    const host = await load(perIp(1, "1s", { burst: 5 }));
    const first = allowed(host, "10.0.0.1:1");
    expect(first).toHaveHeader("ratelimit-limit", "5");
    expect(first).toHaveHeader("ratelimit-remaining", "4");
    expect(first).toHaveHeader("ratelimit-reset", "1");
    for (let i = 0; i < 4; i++) allowed(host, "10.0.0.1:1");
    expect(request(host, "10.0.0.1:1").localResponse?.headers).toHaveHeader("ratelimit-reset", "5");

    host.advance(1000);
    allowed(host, "10.0.0.1:1");
    expect(request(host, "10.0.0.1:1")).toRespondWith(429);
    host.advance(60_000); // refills to the burst, no further
    for (let i = 0; i < 5; i++) allowed(host, "10.0.0.1:1");
    expect(request(host, "10.0.0.1:1")).toRespondWith(429);
  });

  it("omits RateLimit-* with headers: false, keeping Retry-After on the 429", async () => {
    const host = await load({ ...perIp(1, "1s"), headers: false });
    expect(allowed(host, "10.0.0.1:1").get("ratelimit-limit")).toBeUndefined();
    const reply = request(host, "10.0.0.1:1").localResponse!;
    expect(reply.headers.get("ratelimit-limit")).toBeUndefined();
    expect(reply.headers).toHaveHeader("retry-after", "1");
  });
});

describe("descriptors", () => {
  const combined = {
    descriptors: [
      { name: "per-ip", key: [{ source: "remote_address" }], limit: { requests: 10, per: "1s" } },
      { name: "per-user", key: [{ header: "X-User" }], limit: { requests: 2, per: "1s" } },
    ],
  };

  it("limits when either descriptor is exhausted, and gives back the tokens of the others", async () => {
    const host = await load(combined);
    allowed(host, "10.0.0.1:1", { "x-user": "alice" });
    const second = allowed(host, "10.0.0.2:1", { "x-user": "alice" });
    expect(second).toHaveHeader("ratelimit-remaining", "0"); // the closest to exhaustion: per-user
    expect(second).toHaveHeader("ratelimit-limit", "2");
    expect(request(host, "10.0.0.1:1", { "x-user": "alice" })).toRespondWith(429);
    expect(buckets(host)["weir:rl:v1:per-ip:10.0.0.1"].tokens).toBe(9); // refunded: 10 - 1

    for (let i = 0; i < 9; i++) allowed(host, "10.0.0.1:1", { "x-user": `user-${i}` });
    expect(request(host, "10.0.0.1:1", { "x-user": "zoe" })).toRespondWith(429); // per-ip now
    expect(host.metrics.toObject()).toMatchObject({
      "descriptor.per-ip.ratelimit_allowed": 11,
      "descriptor.per-ip.ratelimit_limited": 1,
      "descriptor.per-user.ratelimit_allowed": 11,
      "descriptor.per-user.ratelimit_limited": 1,
    });
  });

  it("skips a descriptor whose key component is absent (or empty)", async () => {
    const host = await load(combined);
    for (let i = 0; i < 5; i++) allowed(host, "10.0.0.1:1");
    allowed(host, "10.0.0.1:1", { "x-user": "" });
    expect(Object.keys(buckets(host))).toEqual(["weir:rl:v1:per-ip:10.0.0.1"]);
    const noAddress = await load({ descriptors: [{ key: [{ source: "remote_address" }], limit: { requests: 1, per: "1h" } }] });
    for (let i = 0; i < 3; i++) allowed(noAddress, null);
    expect(noAddress.sharedData.keys()).toEqual([]);
  });

  it("keys on the verified peer identity", async () => {
    const host = await load({ descriptors: [{ key: [{ source: "identity" }], limit: { requests: 2, per: "1m" } }] });
    const web = { "weir.peer_identity": "spiffe://cluster.local/ns/default/sa/web" };
    allowed(host, "10.0.0.1:1", {}, web);
    allowed(host, "10.0.0.2:1", {}, web);
    expect(request(host, "10.0.0.3:1", {}, web)).toRespondWith(429);
    allowed(host, "10.0.0.1:1", {}, { "weir.peer_identity": "spiffe://cluster.local/ns/default/sa/api" });
    for (let i = 0; i < 3; i++) allowed(host, "10.0.0.1:1"); // no verified identity: not limited
    expect(Object.keys(buckets(host)).sort()).toEqual([
      "weir:rl:v1:identity:spiffe://cluster.local/ns/default/sa/api",
      "weir:rl:v1:identity:spiffe://cluster.local/ns/default/sa/web",
    ]);
    expect(host.metrics.get("descriptor.identity.ratelimit_limited")).toBe(1);
  });

  it("writes keys in the documented format: percent-encoded components joined by |", async () => {
    const host = await load({
      descriptors: [
        { name: "per-ip", key: [{ source: "remote_address" }], limit: { requests: 5, per: "1s" } },
        { name: "per-user-path", key: [{ header: "x-user" }, { source: "path" }], limit: { requests: 5, per: "1s" } },
      ],
    });
    allowed(host, "[2001:db8::1]:443", { "x-user": "a|b c~é" });
    expect(Object.keys(buckets(host)).sort()).toEqual([
      "weir:rl:v1:per-ip:2001:db8::1",
      "weir:rl:v1:per-user-path:a%7Cb%20c%7E%C3%A9|/api/items",
    ]);
    expect(buckets(host)["weir:rl:v1:per-ip:2001:db8::1"]).toMatchObject({
      slot: expect.stringMatching(/^weir:rl:v1:per-ip#\d+$/),
      tokens: 4,
    });
  });
});

describe("shadow mode", () => {
  it("never limits, but counts, logs and marks what it would have limited", async () => {
    const host = await load({ ...perIp(1, "1s"), shadow: true });
    const first = request(host, "10.0.0.1:1", { "x-weir-ratelimit-shadow": "forged" });
    expect(first).toContinue();
    expect(first.request.headers?.get("x-weir-ratelimit-shadow")).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const http = request(host, "10.0.0.1:1");
      expect(http).toContinue();
      expect(http.request.headers).toHaveHeader("x-weir-ratelimit-shadow", "would-limit");
      http.responseHeaders({ ":status": "200" }, { endOfStream: true });
      expect(http.response.headers?.get("ratelimit-remaining")).toBeUndefined(); // invisible to clients
    }
    expect(host.metrics.get("descriptor.per-ip.ratelimit_allowed")).toBe(1);
    expect(host.metrics.get("descriptor.per-ip.ratelimit_shadow_limited")).toBe(3);
    expect(host.metrics.get("descriptor.per-ip.ratelimit_limited")).toBe(0);
    expect(host).toHaveLogged("debug", "ratelimit shadow: descriptor per-ip would limit weir:rl:v1:per-ip:10.0.0.1");
  });
});

describe("shared buckets", () => {
  it("is one bucket for two filters (two VMs) with the same vm_id, and separate for another vm_id", async () => {
    // The kit loads one filter per host, so two VMs share a host built from the same parts.
    const clock = new ManualClock();
    const host = createHost({ logger: () => {}, timers: clock.timers() });
    const config = JSON.stringify(perIp(3, "1s"));
    const [a, b, other] = await Promise.all(
      ["rl", "rl", "elsewhere"].map((vmId, i) => host.loadFilter({ name: `ratelimit-${i}`, module: wasm, vmId, config })),
    );
    try {
      const send = (filter: typeof a) => {
        const http = new TestHttpContext(filter, () => {}, { properties: { "source.address": "10.0.0.1:1" } });
        http.requestHeaders({ ":path": "/" }, { endOfStream: true });
        return http;
      };
      expect(a.vm).not.toBe(b.vm);
      for (const filter of [a, b, a]) expect(send(filter)).toContinue();
      expect(send(b)).toRespondWith(429);
      expect(send(other)).toContinue();
      expect(host.state.sharedData.keys("rl")).toHaveLength(1);
    } finally {
      for (const filter of [a, b, other]) filter.close();
    }
  });

  it("retries on CAS_MISMATCH when another worker writes between its read and its write", async () => {
    const host = await load(perIp(3, "1s"));
    allowed(host, "10.0.0.1:1"); // 2 tokens left
    const [slot] = host.sharedData.keys();
    // Another worker drains the bucket right after this filter read it.
    const store = host.filter.vm.host.sharedData;
    const reads = interfere(store, slot, () => store.set("", slot, bucketValue("weir:rl:v1:per-ip:10.0.0.1", 0, host.now), 0), 1);
    expect(request(host, "10.0.0.1:1")).toRespondWith(429); // without CAS it would have written 1 token back
    expect(reads()).toBe(2);
    expect(buckets(host)["weir:rl:v1:per-ip:10.0.0.1"].tokens).toBe(0);
  });

  it("lets the request through, counted and logged, when the bucket keeps changing", async () => {
    const host = await load(perIp(3, "1s"));
    allowed(host, "10.0.0.1:1");
    const [slot] = host.sharedData.keys();
    const store = host.filter.vm.host.sharedData;
    const value = host.sharedData.bytes(slot) as Uint8Array;
    const reads = interfere(store, slot, () => store.set("", slot, value, 0), Number.POSITIVE_INFINITY);
    expect(request(host, "10.0.0.1:1")).toContinue();
    expect(reads()).toBe(10);
    expect(host.metrics.get("descriptor.per-ip.ratelimit_errors")).toBe(1);
    expect(host).toHaveLogged("warn", /cannot update weir:rl:v1:per-ip#\d+ for weir:rl:v1:per-ip:10\.0\.0\.1/);
  });
});

/** Makes `write` run right after each of the next `times` reads of `key`; returns a read counter. */
function interfere(store: SharedData, key: string, write: () => void, times: number): () => number {
  const get = store.get.bind(store);
  let reads = 0;
  store.get = (vmId: string, k: string) => {
    const entry = get(vmId, k);
    if (k !== key) return entry;
    reads++;
    const seen = entry && { value: entry.value, cas: entry.cas };
    if (reads <= times) write();
    return seen;
  };
  return () => reads;
}

describe("bounded storage", () => {
  it("keys a huge header by its hash: bounded key, same value same bucket", async () => {
    const host = await load({ descriptors: [{ name: "per-user", key: [{ header: "x-user" }], limit: { requests: 2, per: "1m" } }] });
    const huge = "u".repeat(256 * 1024);
    allowed(host, "10.0.0.1:1", { "x-user": huge });
    allowed(host, "10.0.0.1:1", { "x-user": huge });
    expect(request(host, "10.0.0.1:1", { "x-user": huge })).toRespondWith(429);
    allowed(host, "10.0.0.1:1", { "x-user": `${huge}v` });
    const keys = Object.keys(buckets(host));
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(/^weir:rl:v1:per-user:~[0-9a-f]{16}$/);
    expect(host.failure).toBeUndefined();
  });

  it("hashes the whole component list when it is still too long", async () => {
    const host = await load({
      descriptors: [{ name: "combo", key: [{ header: "a" }, { header: "b" }], limit: { requests: 1, per: "1m" } }],
    });
    allowed(host, "10.0.0.1:1", { a: "x".repeat(120), b: "y".repeat(120) });
    const [key] = Object.keys(buckets(host));
    expect(key).toMatch(/^weir:rl:v1:combo:~[0-9a-f]{16}$/);
    expect(key.length).toBeLessThanOrEqual(268);
  });

  it("keeps at most maxKeys slots per descriptor, reusing those whose bucket refilled", async () => {
    const host = await load(perIp(1, "1s", { burst: 1 }));
    const small = await load({
      descriptors: [{ name: "per-ip", key: [{ source: "remote_address" }], limit: { requests: 1, per: "1s" }, maxKeys: 4 }],
    });
    for (let i = 0; i < 50; i++) {
      allowed(host, `10.0.1.${i}:1`);
      allowed(small, `10.0.1.${i}:1`);
    }
    expect(host.sharedData.keys().length).toBe(50);
    expect(small.sharedData.keys().length).toBeLessThanOrEqual(4);

    // A client draining its bucket keeps it while one-off clients come and go: their slots
    // are free again once their buckets refill.
    small.advance(1000);
    expect(request(small, "10.9.9.9:1")).toContinue();
    expect(request(small, "10.9.9.9:1")).toRespondWith(429);
    for (let i = 0; i < 20; i++) {
      allowed(small, `10.2.0.${i}:1`);
      small.advance(1000);
      allowed(small, "10.9.9.9:1");
      expect(request(small, "10.9.9.9:1")).toRespondWith(429);
    }
    expect(small.metrics.get("descriptor.per-ip.ratelimit_limited")).toBe(21);
    expect(small.sharedData.keys().length).toBeLessThanOrEqual(4);
  });
});

describe("slot eviction", () => {
  it("evicts the fuller bucket when both slots hold other clients, never the drained one", async () => {
    // Two slots: every key's two choices are the whole table.
    const host = await load({
      descriptors: [{ name: "per-ip", key: [{ source: "remote_address" }], limit: { requests: 3, per: "1m" }, maxKeys: 2 }],
    });
    allowed(host, "10.0.0.1:1"); // A: 2 tokens left
    for (let i = 0; i < 3; i++) allowed(host, "10.0.0.2:1"); // B: drained
    expect(allowed(host, "10.0.0.3:1")).toHaveHeader("ratelimit-remaining", "2"); // C takes A's slot
    expect(Object.keys(buckets(host)).sort()).toEqual(["weir:rl:v1:per-ip:10.0.0.2", "weir:rl:v1:per-ip:10.0.0.3"]);
    expect(request(host, "10.0.0.2:1")).toRespondWith(429); // B kept its empty bucket
    expect(allowed(host, "10.0.0.1:1")).toHaveHeader("ratelimit-remaining", "2"); // A gained back only what it had spent
  });
});

describe("configuration", () => {
  const rejects = (config: object, message: RegExp) => expect(load(config)).rejects.toThrow(message);

  it("fails the load naming the field", async () => {
    await rejects({}, /field "descriptors" is required/);
    await rejects({ descriptors: [] }, /field "descriptors" must list 1 to 16 descriptors, got 0/);
    await rejects(perIp(3, "1x"), /field "descriptors\[0\]\.limit\.per" must be a duration .* got "1x"/);
    await rejects(perIp(0, "1s"), /field "descriptors\[0\]\.limit\.requests" must be between 1 and 1000000000, got 0/);
    await rejects(perIp(3, "1s", { burts: 4 }), /field "descriptors\[0\]\.limit\.burts" is not a known field/);
    await rejects(
      { descriptors: [{ key: [{ source: "cookie" }], limit: { requests: 1, per: "1s" } }] },
      /field "descriptors\[0\]\.key\[0\]\.source" must be "remote_address", "path" or "identity", got "cookie"/,
    );
    await rejects(
      { descriptors: [{ key: [{}], limit: { requests: 1, per: "1s" } }] },
      /field "descriptors\[0\]\.key\[0\]" must have exactly one of "source" and "header"/,
    );
    await rejects(
      { descriptors: [{ name: "a b", key: [], limit: { requests: 1, per: "1s" } }] },
      /field "descriptors\[0\]\.name" must be 1-64 characters/,
    );
    await rejects({ ...perIp(1, "1s"), shadow: "yes" }, /field "shadow" must be true or false, got "yes"/);
    const twice = { descriptors: [...perIp(1, "1s").descriptors, ...perIp(2, "1m").descriptors] };
    await rejects(twice, /field "descriptors\[1\]\.name" duplicates "per-ip"/);
  });

  it("lists every problem at once", async () => {
    const error = await load({ descriptors: [{ key: [{ source: "nope" }], limit: { per: "soon" } }], extra: 1 }).catch((e: Error) => e);
    expect(String(error)).toMatch(/"extra" is not a known field/);
    expect(String(error)).toMatch(/"descriptors\[0\]\.key\[0\]\.source" must be/);
    expect(String(error)).toMatch(/"descriptors\[0\]\.limit\.requests" is required/);
    expect(String(error)).toMatch(/"descriptors\[0\]\.limit\.per" must be a duration/);
  });

  it("accepts an empty key: one bucket for every request", async () => {
    const host = await load({ descriptors: [{ key: [], limit: { requests: 2, per: "1s" } }] });
    allowed(host, "10.0.0.1:1");
    allowed(host, null);
    expect(request(host, "10.0.0.2:1")).toRespondWith(429);
    expect(Object.keys(buckets(host))).toEqual(["weir:rl:v1:global:"]);
  });
});

describe("build", () => {
  it("stays under 64 KB, needs shared data and no clusters", () => {
    expect(build.manifest.size).toBeLessThanOrEqual(64 * 1024);
    expect(build.manifest.capabilities).toMatchObject({ sharedData: true, httpCalls: false, clusters: [], timers: false });
    // The schema lists exactly the fields the filter accepts.
    const schema = build.manifest.configSchema as { properties: object; $defs: Record<string, { properties: object }> };
    expect(Object.keys(schema.properties)).toEqual(["descriptors", "shadow", "headers"]);
    expect(Object.keys(schema.$defs.descriptor.properties)).toEqual(["name", "key", "limit", "maxKeys"]);
    expect(Object.keys(schema.$defs.limit.properties)).toEqual(["requests", "per", "burst"]);
  });
});
