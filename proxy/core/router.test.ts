import { describe, expect, it } from "vitest";
import { HeaderMap } from "../abi/header-map.ts";
import { parseConfig } from "./config/load.ts";
import { createRouter } from "./router.ts";

const CONFIG = `
listeners:
  - name: in
    port: 8080
    virtualHosts:
      - name: api
        domains: [api.example.com]
        routes:
          - name: exact-health
            match: { path: /health }
            directResponse: { status: 200, body: ok }
          - name: v2-regex
            match: { regex: "/v2/[a-z]+" }
            cluster: v2
          - name: canary-by-header
            match: { prefix: /, headers: [{ name: x-canary, exact: "1" }] }
            cluster: canary
          - name: debug-query
            match: { prefix: /, queryParams: [{ name: debug, present: true }], methods: [GET] }
            cluster: debug
          - name: split
            match: { prefix: /shop }
            weightedClusters: [{ name: v1, weight: 90 }, { name: v2, weight: 10 }]
            timeout: 3s
            retries: { retryOn: [5xx], numRetries: 2, perTryTimeout: 1s }
          - name: old
            match: { prefix: /old }
            redirect: { path: /new, code: 301 }
      - name: wildcard
        domains: ["*.example.com"]
        routes: [{ name: wild, cluster: v1 }]
      - name: any
        domains: ["*"]
        routes: [{ name: fallback, match: { prefix: /only }, cluster: v1 }]
clusters:
  - { name: v1, endpoints: ["127.0.0.1:9001"] }
  - { name: v2, endpoints: ["127.0.0.1:9002"] }
  - { name: canary, endpoints: ["127.0.0.1:9003"] }
  - { name: debug, endpoints: ["127.0.0.1:9004"] }
`;

const router = (random = () => 0.5) => createRouter(parseConfig(CONFIG).listeners[0].virtualHosts, { random });
const req = (authority: string, path: string, extra: Record<string, string> = {}) =>
  new HeaderMap({ ":method": "GET", ":scheme": "http", ":authority": authority, ":path": path, ...extra });

describe("router", () => {
  it("picks the virtual host by authority: exact before wildcard before *", () => {
    const r = router();
    expect(r.route(req("api.example.com", "/health"))).toMatchObject({ kind: "direct", status: 200, body: "ok" });
    expect(r.route(req("shop.example.com:8080", "/x"))).toMatchObject({ kind: "forward", route: { name: "wild", cluster: "v1" } });
    expect(r.route(req("other.test", "/only/this"))).toMatchObject({ kind: "forward", route: { cluster: "v1" } });
    expect(r.route(req("other.test", "/elsewhere"))).toEqual({ kind: "none" });
  });

  it("matches exact paths, whole-path regexes, headers, query parameters and methods in order", () => {
    const r = router();
    expect(r.route(req("api.example.com", "/health/deep"))).not.toMatchObject({ kind: "direct" });
    expect(r.route(req("api.example.com", "/v2/items"))).toMatchObject({ route: { name: "v2-regex", cluster: "v2" } });
    expect(r.route(req("api.example.com", "/v2/items/1"))).not.toMatchObject({ route: { name: "v2-regex" } });
    expect(r.route(req("api.example.com", "/a", { "x-canary": "1" }))).toMatchObject({ route: { cluster: "canary" } });
    expect(r.route(req("api.example.com", "/a?debug"))).toMatchObject({ route: { cluster: "debug" } });
    expect(r.route(new HeaderMap({ ":method": "POST", ":authority": "api.example.com", ":path": "/a?debug" }))).toEqual({ kind: "none" });
  });

  it("splits weighted clusters by weight and carries the route's timeout and retry policy", () => {
    expect(router(() => 0.5).route(req("api.example.com", "/shop"))).toMatchObject({
      route: { cluster: "v1", timeoutMs: 3000, perTryTimeoutMs: 1000 },
    });
    expect(router(() => 0.95).route(req("api.example.com", "/shop"))).toMatchObject({ route: { cluster: "v2" } });
    const decision = router().route(req("api.example.com", "/shop"));
    expect(decision.kind === "forward" && [...(decision.route.retry?.retryOn ?? [])]).toEqual(["5xx"]);
  });

  it("builds redirects from the request, replacing only what the route names", () => {
    expect(router().route(req("api.example.com", "/old/page"))).toEqual({
      kind: "redirect",
      name: "old",
      status: 301,
      location: "http://api.example.com/new",
    });
  });

  it("uses a filter's cluster choice over the route's", () => {
    expect(router().route(req("api.example.com", "/v2/items"), "canary")).toMatchObject({ route: { name: "v2-regex", cluster: "canary" } });
  });
});
