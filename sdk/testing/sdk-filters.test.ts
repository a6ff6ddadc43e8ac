/**
 * The kit against filters written with public AssemblyScript SDKs — solo-io's
 * `@solo-io/proxy-runtime` (ABI 0.2.0, logs through `proxy_log`) and G-Core's
 * `@gcoredev/proxy-wasm-sdk-as` (ABI 0.2.1, logs through WASI stdout as `[INFO]: …`) — from
 * `test/conformance/filters/`. The same tests drive both, as a filter author would test theirs.
 */

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFilter, FILTERS_DIR, SDK_BUILD, type Sdk } from "../../test/support/build-as.ts";
import { createTestHost } from "./index.ts";
import "./matchers.ts";

const SDKS: { sdk: Sdk; info: (message: string) => string }[] = [
  { sdk: "solo", info: (message) => message },
  { sdk: "gcore", info: (message) => `[INFO]: ${message}` },
];

describe.each(SDKS)("$sdk SDK", ({ sdk, info }) => {
  const wasm: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    for (const name of ["auth", "counter", "tick"]) wasm[name] = await buildFilter(sdk, name);
  }, 180_000);
  // solo-io finds its root context by plugin_root_id, so each filter runs with root id = its folder name.
  const load = (name: string, options: { clusters?: string[] } = {}) =>
    createTestHost({ wasm: wasm[name], rootId: name, strict: true, ...options });

  it("add-header (built from source with the SDK's compiler settings) adds its header both ways", { timeout: 120_000 }, async () => {
    const host = await createTestHost({
      source: { entry: join(FILTERS_DIR, sdk, "add-header", "assembly", "index.ts"), ...SDK_BUILD[sdk] },
      rootId: "add-header",
      config: "x-weir-added=yes",
      strict: true,
    });
    const http = host.http();
    expect(http.requestHeaders({ ":method": "GET", ":path": "/" }, { endOfStream: true })).toContinue();
    expect(http.request.headers).toHaveHeader("x-weir-added", "yes");
    expect(http.responseHeaders({ ":status": "200" }, { endOfStream: true })).toContinue();
    expect(http.response.headers).toHaveHeader("x-weir-added", "yes");
    http.complete();
  });

  it("auth asks cluster auth and lets the request through on 200", async () => {
    const host = await load("auth");
    const http = host.http();
    expect(http.requestHeaders({ ":method": "GET", ":path": "/", authorization: "Bearer t" })).toPause();
    expect(http.requestBody("payload", { endOfStream: true })).toPause();
    const [call] = host.httpCalls;
    expect(call).toMatchObject({ cluster: "auth", timeoutMs: 1000, http });
    expect(call.headers.toObject()).toEqual({ ":method": "GET", ":path": "/check", ":authority": "auth", authorization: "Bearer t" });
    await call.respond({ status: 200 });
    expect(http).toContinue();
    expect(http.request.headers).toHaveHeader("x-auth", "ok");
    expect([http.continues, http.request.body]).toEqual([["request"], "payload"]);
  });

  it("auth answers 401 when the check says no, fails or times out", async () => {
    const host = await load("auth");
    const [denied, failed, late] = [host.http(), host.http(), host.http()];
    for (const http of [denied, failed, late]) http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    await host.httpCalls[0].respond({ status: 403 });
    await host.httpCalls[1].fail();
    host.advance(1000);
    expect(host.httpCalls.map((c) => c.state)).toEqual(["answered", "failed", "timed-out"]);
    for (const http of [denied, failed, late]) expect(http).toRespondWith(401, { body: "unauthorized", details: "auth_denied" });
  });

  it("auth answers 500 when the call cannot be dispatched", async () => {
    const host = await load("auth", { clusters: [] });
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(http).toRespondWith(500, { details: "auth_dispatch_failed" });
    expect(host.httpCalls).toEqual([]);
  });

  it("counter counts requests in shared data", async () => {
    const host = await load("counter");
    host.sharedData.set("requests", "41");
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(http.request.headers).toHaveHeader("x-request-count", "42");
    expect(host.sharedData.get("requests")).toBe("42");
  });

  it("tick ticks every 100 ms of the manual clock", async () => {
    const host = await load("tick");
    expect(host.tickPeriod).toBe(100);
    host.advance(250);
    expect(host.logs.info.filter((line) => line.includes("tick"))).toEqual([info("tick 1"), info("tick 2")]);
    expect(host).toHaveLogged("info", info("tick 2"));
    expect(host.sharedData.get("ticks")).toBe("2");
  });
});
