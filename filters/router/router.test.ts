/**
 * The router filter built as `weir build` builds it and driven through weir's test kit: each
 * match kind, first-match-wins, weighted splits and stickiness, rewrites, redirects, direct
 * responses, configuration errors, the regex subset against JavaScript's RegExp, and the
 * issue's size budget.
 */

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { FilterLoadError, type HeaderInit } from "../../proxy/abi/index.ts";
import { buildFilterProject, type FilterManifest } from "../../sdk/build/build-filter.ts";
import { createTestHost } from "../../sdk/testing/index.ts";
import "../../sdk/testing/matchers.ts";

let wasm: Uint8Array;
let manifest: FilterManifest;

beforeAll(async () => {
  const built = await buildFilterProject(new URL(".", import.meta.url).pathname);
  manifest = built.manifest;
  wasm = new Uint8Array(await readFile(built.wasmPath));
}, 180_000);

const router = (config: object) => createTestHost({ wasm, config, name: "router" });

type Host = Awaited<ReturnType<typeof router>>;

/** Sends request headers (no body) through a new stream of `host`. */
function send(host: Host, headers: HeaderInit) {
  const http = host.http();
  http.requestHeaders({ ":method": "GET", ":scheme": "http", ":authority": "app.local", ...(headers as object) }, { endOfStream: true });
  return http;
}

/** The cluster `host` picks for a request with `headers` (undefined: no route matched). */
const clusterFor = (host: Host, headers: HeaderInit) => send(host, headers).upstreamCluster;

/** The lines of the FilterLoadError that `config` causes. */
async function loadErrors(config: unknown): Promise<string[]> {
  const error = await createTestHost({ wasm, config: JSON.stringify(config), name: "router" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FilterLoadError);
  return (error as FilterLoadError).logs;
}

/** The documented split: FNV-1a 32 of the UTF-8 key, scaled to the total weight by its high bits. */
function referenceBucket(key: string, total: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return Math.floor((hash * total) / 2 ** 32);
}

describe("router: build", () => {
  it("stays inside the issue's 64 KiB budget, with the config schema in the manifest", () => {
    expect(manifest.size).toBe(wasm.byteLength);
    expect(manifest.size).toBeLessThan(64 * 1024);
    expect(manifest).toMatchObject({ name: "@weir/router", abi: "0.2.1", capabilities: { httpCalls: false, sharedData: false } });
    expect(manifest.configSchema).toMatchObject({ required: ["routes"] });
  });
});

describe("router: README", () => {
  it("loads the README's example and routes as the README says", async () => {
    const readme = await readFile(new URL("README.md", import.meta.url), "utf8");
    const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? "null");
    const host = await router(example);
    expect(send(host, { ":path": "/healthz" })).toRespondWith(200, { body: "ok" });
    expect(send(host, { ":path": "/docs/v1/intro" })).toRespondWith(308, { headers: { location: "http://app.local/docs/v2/intro" } });
    const canary = send(host, { ":path": "/api/orders?x=1", "x-env": "canary", "x-user": "ada" });
    expect(canary.upstreamCluster).toBe(referenceBucket("ada", 100) < 90 ? "api-v1" : "api-v2");
    expect(canary.request.headers).toHaveHeader(":path", "/orders?x=1");
    expect(canary.request.headers).toHaveHeader("x-routed-by", "weir-router");
    expect(clusterFor(host, { ":path": "/api/v2/orders/17" })).toBe("orders");
    expect(send(host, { ":path": "/api/users" }).request.headers).toHaveHeader(":path", "/users");
    expect(clusterFor(host, { ":path": "/" })).toBeUndefined();
  });
});

describe("router: matching", () => {
  it("matches a path prefix, an exact path (ignoring the query) and a whole-path regex", async () => {
    const host = await router({
      routes: [
        { match: { path: "/health" }, cluster: "exact" },
        { match: { regex: "/items/\\d+(/reviews)?" }, cluster: "regex" },
        { match: { prefix: "/api/" }, cluster: "prefix" },
      ],
    });
    expect(clusterFor(host, { ":path": "/health" })).toBe("exact");
    expect(clusterFor(host, { ":path": "/health?verbose=1" })).toBe("exact");
    expect(clusterFor(host, { ":path": "/healthz" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/items/42" })).toBe("regex");
    expect(clusterFor(host, { ":path": "/items/42/reviews?page=2" })).toBe("regex");
    expect(clusterFor(host, { ":path": "/items/42x" })).toBeUndefined(); // the regex must match the whole path
    expect(clusterFor(host, { ":path": "/items/" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/api/users" })).toBe("prefix");
    expect(clusterFor(host, { ":path": "/api" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/API/users" })).toBeUndefined(); // case-sensitive, as Envoy
  });

  it("matches methods", async () => {
    const host = await router({ routes: [{ match: { prefix: "/", methods: ["POST", "PUT"] }, cluster: "writes" }] });
    expect(clusterFor(host, { ":method": "POST", ":path": "/orders" })).toBe("writes");
    expect(clusterFor(host, { ":method": "PUT", ":path": "/orders/1" })).toBe("writes");
    expect(clusterFor(host, { ":method": "GET", ":path": "/orders" })).toBeUndefined();
  });

  it("matches headers: exact, prefix, suffix, contains, regex, presence, absence and inverted", async () => {
    const host = await router({
      routes: [
        { match: { headers: [{ name: "X-Env", exact: "canary" }] }, cluster: "exact" },
        { match: { headers: [{ name: "x-version", prefix: "2." }] }, cluster: "prefix" },
        { match: { headers: [{ name: "x-file", suffix: ".png" }] }, cluster: "suffix" },
        { match: { headers: [{ name: "user-agent", contains: "Mobile" }] }, cluster: "contains" },
        { match: { headers: [{ name: "x-tenant", regex: "t-[0-9]{3}" }] }, cluster: "regex" },
        { match: { headers: [{ name: "x-debug" }] }, cluster: "present" },
        { match: { prefix: "/anon", headers: [{ name: "authorization", present: false }] }, cluster: "absent" },
        { match: { prefix: "/region", headers: [{ name: "x-region", exact: "eu", invert: true }] }, cluster: "not-eu" },
      ],
    });
    expect(clusterFor(host, { ":path": "/", "x-env": "canary" })).toBe("exact");
    expect(clusterFor(host, { ":path": "/", "x-env": "Canary" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/", "x-version": "2.1" })).toBe("prefix");
    expect(clusterFor(host, { ":path": "/", "x-file": "a.png" })).toBe("suffix");
    expect(clusterFor(host, { ":path": "/", "user-agent": "Foo Mobile Safari" })).toBe("contains");
    expect(clusterFor(host, { ":path": "/", "x-tenant": "t-042" })).toBe("regex");
    expect(clusterFor(host, { ":path": "/", "x-tenant": "t-0421" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/", "x-debug": "" })).toBe("present");
    expect(clusterFor(host, { ":path": "/anon" })).toBe("absent");
    expect(clusterFor(host, { ":path": "/anon", authorization: "Bearer t" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/region", "x-region": "us" })).toBe("not-eu");
    expect(clusterFor(host, { ":path": "/region", "x-region": "eu" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/region" })).toBeUndefined(); // an absent header fails an inverted value match, as in Envoy
  });

  it("routes by host through the :authority pseudo-header", async () => {
    const host = await router({
      routes: [{ match: { headers: [{ name: ":authority", regex: "(www\\.)?shop\\.example\\.com(:\\d+)?" }] }, cluster: "shop" }],
    });
    expect(clusterFor(host, { ":path": "/", ":authority": "shop.example.com" })).toBe("shop");
    expect(clusterFor(host, { ":path": "/", ":authority": "www.shop.example.com:8443" })).toBe("shop");
    expect(clusterFor(host, { ":path": "/", ":authority": "blog.example.com" })).toBeUndefined();
  });

  it("matches query parameters, decoded, by value or presence", async () => {
    const host = await router({
      routes: [
        { match: { prefix: "/search", query: [{ name: "q", exact: "red shoes" }] }, cluster: "exact" },
        { match: { prefix: "/search", query: [{ name: "debug", present: true }] }, cluster: "debug" },
        { match: { prefix: "/search", query: [{ name: "page", regex: "[0-9]+" }] }, cluster: "paged" },
      ],
    });
    expect(clusterFor(host, { ":path": "/search?q=red%20shoes" })).toBe("exact");
    expect(clusterFor(host, { ":path": "/search?lang=en&q=red+shoes" })).toBe("exact");
    expect(clusterFor(host, { ":path": "/search?q=red" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/search?x=1&debug" })).toBe("debug");
    expect(clusterFor(host, { ":path": "/search?debug=" })).toBe("debug");
    expect(clusterFor(host, { ":path": "/search?debugging=1" })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/search?page=12" })).toBe("paged");
    expect(clusterFor(host, { ":path": "/search?page=last" })).toBeUndefined();
  });

  it("requires every condition of a route, and the first matching route wins", async () => {
    const host = await router({
      routes: [
        { match: { prefix: "/api", methods: ["GET"], headers: [{ name: "x-env", exact: "canary" }] }, cluster: "canary" },
        { match: { prefix: "/api/admin" }, cluster: "admin" },
        { match: { prefix: "/api" }, cluster: "api" },
        { match: { prefix: "/api/admin" }, cluster: "never" },
      ],
    });
    expect(clusterFor(host, { ":path": "/api/admin", "x-env": "canary" })).toBe("canary");
    expect(clusterFor(host, { ":method": "POST", ":path": "/api/admin", "x-env": "canary" })).toBe("admin");
    expect(clusterFor(host, { ":path": "/api/admin/users" })).toBe("admin");
    expect(clusterFor(host, { ":path": "/api/items" })).toBe("api");
  });

  it("leaves a request no route matches untouched, for the proxy's own routes", async () => {
    const host = await router({
      routes: [{ match: { prefix: "/api" }, cluster: "api", rewrite: { headersToAdd: [{ name: "x-a", value: "1" }] } }],
    });
    const request = { ":method": "GET", ":scheme": "http", ":authority": "app.local", ":path": "/static/app.js", "x-b": "2" };
    const http = send(host, request);
    expect(http).toContinue();
    expect(http.upstreamCluster).toBeUndefined();
    expect(http.request.headers?.entries()).toEqual(Object.entries(request));
  });

  it("loads with no routes and lets every request through", async () => {
    const host = await router({ routes: [] });
    const http = send(host, { ":path": "/" });
    expect(http).toContinue();
    expect(http.upstreamCluster).toBeUndefined();
  });
});

describe("router: weighted clusters", () => {
  const split = (stickyOn?: object) => ({
    routes: [
      {
        match: { prefix: "/" },
        weightedClusters: [
          { cluster: "v1", weight: 90 },
          { cluster: "v2", weight: 10 },
        ],
        ...(stickyOn ? { stickyOn } : {}),
      },
    ],
  });
  const KEYS = Array.from({ length: 1000 }, (_, i) => `user-${i}`);

  it("splits 1000 distinct sticky keys about 90/10, exactly as the documented hash says", async () => {
    const host = await router(split({ header: "x-user" }));
    const picked = KEYS.map((key) => clusterFor(host, { ":path": "/", "x-user": key }));
    const canary = picked.filter((c) => c === "v2").length;
    expect(picked.every((c) => c === "v1" || c === "v2")).toBe(true);
    // Binomial(1000, 0.1): mean 100, σ ≈ 9.5; the keys are fixed, so this is deterministic.
    expect(Math.abs(canary - 100)).toBeLessThanOrEqual(30);
    expect(picked).toEqual(KEYS.map((key) => (referenceBucket(key, 100) < 90 ? "v1" : "v2")));
  });

  it("keeps a key on the same cluster across requests (header or cookie)", async () => {
    const byHeader = await router(split({ header: "x-user" }));
    const byCookie = await router(split({ cookie: "session" }));
    for (const key of KEYS.slice(0, 20)) {
      const first = clusterFor(byHeader, { ":path": "/", "x-user": key });
      for (let i = 0; i < 25; i++)
        expect(clusterFor(byHeader, { ":path": `/page/${i}`, "x-user": key, "x-request-id": `r${i}` })).toBe(first);
      const viaCookie = clusterFor(byCookie, { ":path": "/", cookie: `theme=dark; session="${key}"; lang=en` });
      expect(viaCookie).toBe(first); // the same key hashes the same, whichever carries it
      for (let i = 0; i < 25; i++)
        expect(clusterFor(byCookie, { ":path": "/", cookie: `session=${key}`, "x-request-id": `r${i}` })).toBe(first);
    }
  });

  it("without a sticky key, splits by x-request-id, or at random when there is none", async () => {
    const host = await router(split({ header: "x-user" }));
    const ids = KEYS.map((key) => `req-${key}`);
    const byId = ids.map((id) => clusterFor(host, { ":path": "/", "x-request-id": id }));
    expect(byId).toEqual(ids.map((id) => (referenceBucket(id, 100) < 90 ? "v1" : "v2")));
    const random = KEYS.map(() => clusterFor(host, { ":path": "/" }));
    const canary = random.filter((c) => c === "v2").length;
    expect(random.every((c) => c === "v1" || c === "v2")).toBe(true);
    expect(canary).toBeGreaterThan(40);
    expect(canary).toBeLessThan(200);
  });

  it("never picks a cluster of weight 0, and moves only keys onto a growing last cluster", async () => {
    const off = await router({
      routes: [
        {
          match: {},
          weightedClusters: [
            { cluster: "a", weight: 1 },
            { cluster: "b", weight: 0 },
            { cluster: "c", weight: 1 },
          ],
        },
      ],
    });
    expect(new Set(KEYS.slice(0, 200).map((id) => clusterFor(off, { ":path": "/", "x-request-id": id })))).toEqual(new Set(["a", "c"]));
    const at = async (canary: number) => {
      const host = await router({
        routes: [
          {
            match: {},
            weightedClusters: [
              { cluster: "stable", weight: 100 - canary },
              { cluster: "canary", weight: canary },
            ],
            stickyOn: { header: "x-user" },
          },
        ],
      });
      return KEYS.map((key) => clusterFor(host, { ":path": "/", "x-user": key }));
    };
    const [ten, twenty] = [await at(10), await at(20)];
    expect(ten.every((c, i) => c === "stable" || twenty[i] === "canary")).toBe(true);
  });
});

describe("router: rewrites", () => {
  it("rewrites the matched prefix (keeping the query), the host, and adds and removes headers", async () => {
    const host = await router({
      routes: [
        {
          match: { prefix: "/api/v1" },
          cluster: "api",
          rewrite: {
            prefix: "/v2",
            host: "api.internal",
            headersToRemove: ["x-internal-token", "X-Trace"],
            headersToAdd: [
              { name: "x-trace", value: "router" },
              { name: "X-Route", value: "api-v2" },
            ],
          },
        },
      ],
    });
    const http = send(host, { ":path": "/api/v1/users?page=2", "x-internal-token": "s3cr3t", "x-trace": "client" });
    expect(http).toContinue();
    expect(http.upstreamCluster).toBe("api");
    const headers = http.request.headers;
    expect(headers).toHaveHeader(":path", "/v2/users?page=2");
    expect(headers).toHaveHeader(":authority", "api.internal");
    expect(headers).toHaveHeader("x-route", "api-v2");
    expect(headers).toHaveHeader("x-trace", "router"); // removals run before additions
    expect(headers?.has("x-internal-token")).toBe(false);
  });

  it("replaces an exact path or the whole path, and rewrites without choosing a cluster", async () => {
    const host = await router({
      routes: [
        { match: { path: "/old" }, rewrite: { prefix: "/new" } },
        { match: { regex: "/legacy/.*" }, rewrite: { path: "/compat" } },
        { match: { prefix: "/strip" }, rewrite: { prefix: "" } },
      ],
    });
    const old = send(host, { ":path": "/old?x=1" });
    expect(old.request.headers).toHaveHeader(":path", "/new?x=1");
    expect(old.upstreamCluster).toBeUndefined();
    expect(send(host, { ":path": "/legacy/a/b?y=2" }).request.headers).toHaveHeader(":path", "/compat?y=2");
    expect(send(host, { ":path": "/strip/me" }).request.headers).toHaveHeader(":path", "/me");
    expect(send(host, { ":path": "/strip" }).request.headers).toHaveHeader(":path", "/");
  });
});

describe("router: redirects and direct responses", () => {
  it("redirects with the configured status and an absolute location", async () => {
    const host = await router({
      routes: [
        { match: { prefix: "/secure" }, redirect: { scheme: "https" } },
        { match: { prefix: "/old-docs" }, redirect: { prefix: "/docs", status: 308 } },
        { match: { path: "/moved" }, redirect: { host: "new.example.com", port: 8443, path: "/landing?from=moved", status: 302 } },
        { match: { prefix: "/tidy" }, redirect: { path: "/clean", stripQuery: true, status: 307 } },
      ],
    });
    const secure = send(host, { ":path": "/secure/login?next=%2F", ":authority": "app.local:80" });
    expect(secure).toRespondWith(301, { headers: { location: "https://app.local/secure/login?next=%2F" }, details: "redirect" });
    expect(secure.upstreamCluster).toBeUndefined();
    expect(send(host, { ":path": "/old-docs/guide?v=2", ":authority": "app.local:8080" })).toRespondWith(308, {
      headers: { location: "http://app.local:8080/docs/guide?v=2" },
    });
    expect(send(host, { ":path": "/moved?a=1" })).toRespondWith(302, {
      headers: { location: "http://new.example.com:8443/landing?from=moved" },
    });
    expect(send(host, { ":path": "/tidy?a=1" })).toRespondWith(307, { headers: { location: "http://app.local/clean" } });
  });

  it("answers a direct response with its status, body and headers", async () => {
    const host = await router({
      routes: [
        {
          match: { path: "/robots.txt" },
          directResponse: { status: 200, body: "User-agent: *\nDisallow: /\n", headers: [{ name: "content-type", value: "text/plain" }] },
        },
        { match: { prefix: "/gone" }, directResponse: { status: 410 } },
      ],
    });
    const robots = send(host, { ":path": "/robots.txt" });
    expect(robots).toRespondWith(200, {
      body: "User-agent: *\nDisallow: /\n",
      headers: { "content-type": "text/plain" },
      details: "direct_response",
    });
    expect(robots.upstreamCluster).toBeUndefined();
    expect(send(host, { ":path": "/gone/now" })).toRespondWith(410, { body: "" });
  });
});

describe("router: configuration errors fail the load, naming the field", () => {
  it("reports missing fields", async () => {
    expect(await loadErrors({})).toEqual(['config: field "routes" is required']);
    expect(await loadErrors({ routes: [{ cluster: "a" }, { match: {} }] })).toEqual([
      'config: field "routes[0].match" is required',
      'config: field "routes[1]" needs one of cluster, weightedClusters, redirect, directResponse, rewrite',
    ]);
    expect(await loadErrors({ routes: [{ match: {}, weightedClusters: [{ cluster: "a" }] }] })).toEqual([
      'config: field "routes[0].weightedClusters[0].weight" is required',
      'config: field "routes[0].weightedClusters" needs a cluster with a weight above 0',
    ]);
    expect(await loadErrors({ routes: [{ match: {}, directResponse: {} }] })).toEqual([
      'config: field "routes[0].directResponse.status" is required',
    ]);
  });

  it("reports unknown fields with the known ones", async () => {
    expect(await loadErrors({ routes: [{ match: { prefx: "/api" }, cluster: "a" }] })).toEqual([
      'config: field "routes[0].match.prefx" is not a known field (known: prefix, path, regex, methods, headers, query)',
    ]);
    expect(await loadErrors({ routes: [], routeHeader: "x-weir-route" })).toEqual([
      'config: field "routeHeader" is not a known field (known: routes)',
    ]);
  });

  it("reports a regex outside the supported subset, with where it goes wrong", async () => {
    expect(await loadErrors({ routes: [{ match: { regex: "/users/(\\d+" }, cluster: "a" }] })).toEqual([
      'config: field "routes[0].match.regex" is not a supported regex: missing ")" at offset 11',
    ]);
    expect(await loadErrors({ routes: [{ match: { headers: [{ name: "x-a", regex: "a(?=b)" }] }, cluster: "a" }] })).toEqual([
      'config: field "routes[0].match.headers[0].regex" is not a supported regex: unsupported group syntax (only (?:…) is) at offset 2',
    ]);
    for (const [pattern, problem] of [
      ["\\bword", "unsupported escape \\b at offset 1"],
      ["*a", "nothing to repeat at offset 0"],
      ["a**", "a quantifier cannot follow another at offset 2"],
      ["[z-a]", "range out of order at offset 4"],
      ["[abc", 'missing "]" at offset 4'],
      ["a{2,1}", "invalid repeat (write \\{ for a literal brace) at offset 5"],
      ["a)", 'unmatched ")" at offset 1'],
    ]) {
      expect(await loadErrors({ routes: [{ match: { regex: pattern }, cluster: "a" }] })).toEqual([
        `config: field "routes[0].match.regex" is not a supported regex: ${problem}`,
      ]);
    }
  });

  it("reports wrong types, conflicting actions and misplaced options, all at once", async () => {
    const errors = await loadErrors({
      routes: [
        { match: { prefix: "api", methods: ["get"] }, cluster: "a", redirect: { status: 301 } },
        { match: { regex: "/x" }, cluster: "b", rewrite: { prefix: "/y", headersToAdd: [{ name: ":path", value: "/z" }] } },
        { match: { path: "/c" }, redirect: { status: 305, scheme: "ftp" }, rewrite: { host: "h" } },
        { match: {}, cluster: 5, stickyOn: { header: "x-user" } },
        "route",
      ],
    });
    expect(errors).toEqual([
      'config: field "routes[0].match.prefix" must start with / and have no query',
      'config: field "routes[0].match.methods[0]" must be an upper-case method',
      'config: field "routes[0].redirect" cannot be combined with "cluster" (use one of cluster, weightedClusters, redirect, directResponse)',
      'config: field "routes[1].rewrite.prefix" needs match.prefix or match.path',
      'config: field "routes[1].rewrite.headersToAdd[0].name" cannot be :path (see rewrite.host, rewrite.prefix, rewrite.path)',
      'config: field "routes[2].redirect.scheme" must be http or https',
      'config: field "routes[2].redirect.status" must be 301, 302, 303, 307 or 308',
      'config: field "routes[2].rewrite" cannot be combined with redirect',
      'config: field "routes[3].cluster" must be a string, got 5',
      'config: field "routes[3].stickyOn" needs weightedClusters',
      'config: field "routes[4]" must be an object, got "route"',
    ]);
  });
});

describe("router: regex subset", () => {
  // Each pattern's answers must equal JavaScript's for a whole-value match.
  const PATTERNS = [
    "/api/v[0-9]+/users/[^/]+",
    "\\d{3}-\\d{4}",
    "(a|ab)(c|bcd)(d*)",
    "(?:foo|bar)baz",
    "x?y+z*",
    "a{2,3}",
    "(ab){0,2}c",
    "[\\w.-]+@[\\w-]+\\.com",
    "a.c",
    "[a-]+",
    "\\.\\*\\+",
    "^abc$",
    "a|b|",
    "\\D\\W\\S",
    "(a*)+b",
    "[^\\d]{2}",
  ];
  const INPUTS = [
    "/api/v2/users/42",
    "/api/v/users/42",
    "/api/v10/users/a/b",
    "555-1234",
    "5551234",
    "abcd",
    "acd",
    "abcdd",
    "foobaz",
    "barbaz",
    "baz",
    "yyz",
    "xz",
    "aa",
    "aaa",
    "aaaa",
    "c",
    "ababc",
    "abababc",
    "jo.doe@mail-x.com",
    "jo@x.co",
    "abc",
    "a-c",
    "a]a",
    "-a-",
    ".*+",
    "",
    "b",
    "x!y",
    "aaab",
    "ab",
    "7a",
  ];

  it("answers as JavaScript's RegExp does on a whole value", async () => {
    const host = await router({
      routes: PATTERNS.map((regex, i) => ({
        match: {
          headers: [
            { name: "x-pattern", exact: String(i) },
            { name: "x-value", regex },
          ],
        },
        cluster: `p${i}`,
      })),
    });
    const mismatches: string[] = [];
    for (const [i, pattern] of PATTERNS.entries()) {
      const js = new RegExp(`^(?:${pattern})$`);
      for (const value of INPUTS) {
        const ours = clusterFor(host, { ":path": "/", "x-pattern": String(i), "x-value": value }) === `p${i}`;
        if (ours !== js.test(value)) mismatches.push(`${pattern} on ${JSON.stringify(value)}: ours ${ours}, RegExp ${!ours}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("reads a leading ] in a class as a literal, as RE2 does", async () => {
    const host = await router({ routes: [{ match: { headers: [{ name: "x-value", regex: "[]a]+" }] }, cluster: "class" }] });
    expect(clusterFor(host, { ":path": "/", "x-value": "a]a" })).toBe("class");
    expect(clusterFor(host, { ":path": "/", "x-value": "a]b" })).toBeUndefined();
  });

  it("runs in linear time on patterns that make backtracking engines explode", async () => {
    const host = await router({ routes: [{ match: { headers: [{ name: "x-value", regex: "(a*)*(a|b)*c" }] }, cluster: "slow" }] });
    const started = performance.now();
    expect(clusterFor(host, { ":path": "/", "x-value": "a".repeat(5000) })).toBeUndefined();
    expect(clusterFor(host, { ":path": "/", "x-value": `${"ab".repeat(2000)}c` })).toBe("slow");
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
