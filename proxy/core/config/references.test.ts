import { describe, expect, it } from "vitest";
import { problemsOf, yamlLines } from "./testing.ts";

const CLUSTERS = [
  "clusters:",
  "  - name: backend",
  "    endpoints: ['10.0.0.1:80']",
  "  - name: payments",
  "    endpoints: ['10.0.0.2:80']",
];

describe("cross references", () => {
  it("routes and weighted clusters name defined clusters", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    routes:",
      "      - cluster: backnd",
      "      - weightedClusters:",
      "          - { name: payments, weight: 1 }",
      "          - { name: ledger, weight: 1 }",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:5:18 listeners[0].routes[0].cluster: cluster "backnd" is not defined (did you mean "backend"?); defined: backend, payments',
      'weir.yaml:8:21 listeners[0].routes[1].weightedClusters[1].name: cluster "ledger" is not defined; defined: backend, payments',
    ]);
  });

  it("weights are above zero and clusters appear once in a split", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    routes:",
      "      - weightedClusters:",
      "          - { name: backend, weight: 0 }",
      "          - { name: backend, weight: 5 }",
      "      - weightedClusters: []",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      "weir.yaml:6:38 listeners[0].routes[0].weightedClusters[0].weight: must be an integer from 1 to 1000000, got 0",
      'weir.yaml:7:21 listeners[0].routes[0].weightedClusters[1].name: duplicate cluster "backend" in weightedClusters (first at line 6)',
      "weir.yaml:8:27 listeners[0].routes[1].weightedClusters: must have at least 1 item",
    ]);
  });

  it("listeners name defined route tables", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: out",
      "    port: 1000",
      "    routeTable: outbund",
      "routeTables:",
      "  - name: outbound",
      "    virtualHosts: [{ domains: ['*'], routes: [{ cluster: backend }] }]",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:4:17 listeners[0].routeTable: route table "outbund" is not defined (did you mean "outbound"?); defined: outbound',
    ]);
  });

  it("filter capabilities name defined clusters", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    filters:",
      "      - name: auth",
      "        source: { file: auth.wasm }",
      "        capabilities: { clusters: [payments, jwks], foreignFunctions: '*' }",
      "    routes: [{ cluster: backend }]",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:7:46 listeners[0].filters[0].capabilities.clusters[1]: cluster "jwks" is not defined; defined: backend, payments',
    ]);
  });

  it("per-route filter overrides name a filter of every listener using the routes", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: a",
      "    port: 1000",
      "    filters: [{ name: auth, source: { file: auth.wasm } }]",
      "    routes:",
      "      - cluster: backend",
      "        filters: { atuh: disabled, auth: { config: { mode: audit } } }",
      "  - name: b",
      "    port: 1001",
      "    filters: [{ name: auth, source: { file: auth.wasm } }]",
      "    routeTable: shared",
      "  - name: c",
      "    port: 1002",
      "    routeTable: shared",
      "routeTables:",
      "  - name: shared",
      "    virtualHosts:",
      "      - domains: ['*']",
      "        routes: [{ cluster: backend, filters: { auth: disabled } }]",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:7:20 listeners[0].routes[0].filters.atuh: filter "atuh" is not in the chain of listener "a" (did you mean "auth"?); its filters: auth',
      'weir.yaml:19:49 routeTables[0].virtualHosts[0].routes[0].filters.auth: filter "auth" is not in the chain of listener "c"; it has no filters',
    ]);
  });
});

describe("uniqueness", () => {
  it("names of listeners, clusters, route tables and a chain's filters", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    filters:",
      "      - { name: f, source: { file: a.wasm } }",
      "      - { name: f, source: { file: b.wasm } }",
      "    routes: [{ cluster: backend }]",
      "  - name: in",
      "    port: 1001",
      "    filters: [{ name: f, source: { file: a.wasm } }]",
      "    routes: [{ cluster: backend }]",
      ...CLUSTERS,
      "  - name: backend",
      "    endpoints: ['10.0.0.3:80']",
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:6:17 listeners[0].filters[1].name: duplicate filter name "f" in this chain (first at line 5)',
      'weir.yaml:8:11 listeners[1].name: duplicate listener name "in" (first at line 2)',
      'weir.yaml:17:11 clusters[2].name: duplicate cluster name "backend" (first at line 13)',
    ]);
  });

  it("listener ports, including the admin port", () => {
    const text = yamlLines(
      "admin: { address: '127.0.0.1:9000' }",
      "listeners:",
      "  - { name: a, port: 1000, routes: [{ cluster: backend }] }",
      "  - { name: b, address: '0.0.0.0:1000', routes: [{ cluster: backend }] }",
      "  - { name: c, port: 9000, routes: [{ cluster: backend }] }",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:4:25 listeners[1].address: port 1000 is already used by listener "a"',
      "weir.yaml:5:22 listeners[2].port: port 9000 is already used by the admin API",
    ]);
  });

  it("domains across a list of virtual hosts", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    virtualHosts:",
      "      - { domains: [api.example.com, '*.example.com'], routes: [{ cluster: backend }] }",
      "      - { name: other, domains: [API.example.com], routes: [{ cluster: backend }] }",
      ...CLUSTERS,
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:6:34 listeners[0].virtualHosts[1].domains[0]: duplicate domain "api.example.com" (first at line 5)',
    ]);
  });
});

describe("fields that must agree", () => {
  const route = (...lines: string[]) => yamlLines("listeners:", "  - name: in", "    port: 1000", "    routes:", ...lines, ...CLUSTERS);

  it("retriable status codes go with retryOn retriable-status-codes", () => {
    expect(problemsOf(route("      - cluster: backend", "        retries: { retryOn: [retriable-status-codes] }"))).toEqual([
      'weir.yaml:6:29 listeners[0].routes[0].retries.retriableStatusCodes: is required when retryOn includes "retriable-status-codes"',
    ]);
    expect(problemsOf(route("      - cluster: backend", "        retries: { retriableStatusCodes: [503] }"))).toEqual([
      'weir.yaml:6:42 listeners[0].routes[0].retries.retriableStatusCodes: has no effect unless retryOn includes "retriable-status-codes"',
    ]);
  });

  it("retryOn values, in a list or Envoy's comma string", () => {
    expect(problemsOf(route("      - cluster: backend", "        retries: { retryOn: '5xx,gateway-eror' }"))).toEqual([
      'weir.yaml:6:29 listeners[0].routes[0].retries.retryOn[1]: must be one of 5xx, gateway-error, reset, connect-failure, refused-stream, retriable-status-codes; got "gateway-eror" (did you mean "gateway-error"?)',
    ]);
  });

  it("backoff max is not below base", () => {
    expect(problemsOf(route("      - cluster: backend", "        retries: { backoff: { base: 1s, max: 500ms } }"))).toEqual([
      "weir.yaml:6:46 listeners[0].routes[0].retries.backoff.max: must not be below base (1000ms), got 500ms",
    ]);
  });

  it("timeout and retries only on forwarding routes", () => {
    expect(problemsOf(route("      - redirect: { scheme: https }", "        retries: { numRetries: 2 }"))).toEqual([
      "weir.yaml:6:18 listeners[0].routes[0].retries: applies only to routes that forward to a cluster, not to a redirect route",
    ]);
  });

  it("a redirect changes something", () => {
    expect(problemsOf(route("      - redirect: { code: 302 }"))).toEqual([
      "weir.yaml:5:19 listeners[0].routes[0].redirect: needs at least one of scheme, host, port, path (else it redirects to itself)",
    ]);
  });

  it("ring_hash needs hashOn, and only ring_hash takes it", () => {
    const clusters = (...lines: string[]) =>
      yamlLines(
        "listeners:",
        "  - { name: in, port: 1000, routes: [{ cluster: c }] }",
        "clusters:",
        "  - name: c",
        "    endpoints: ['10.0.0.1:80']",
        ...lines,
      );
    expect(problemsOf(clusters("    lbPolicy: ring_hash"))).toEqual([
      "weir.yaml:6:15 clusters[0].hashOn: is required with lbPolicy ring_hash",
    ]);
    expect(problemsOf(clusters("    hashOn: { cookie: sid }"))).toEqual([
      "weir.yaml:6:13 clusters[0].hashOn: applies only to lbPolicy ring_hash, not round_robin",
    ]);
    expect(problemsOf(clusters("    lbPolicy: ring_hash", "    hashOn: { header: x, cookie: y }"))).toEqual([
      'weir.yaml:7:26 clusters[0].hashOn: needs exactly one of "header", "cookie", "sourceIp"; got "header" and "cookie"',
    ]);
  });

  it("a client certificate needs its key, and ejection times are ordered", () => {
    const text = yamlLines(
      "listeners:",
      "  - { name: in, port: 1000, routes: [{ cluster: c }] }",
      "clusters:",
      "  - name: c",
      "    endpoints: ['10.0.0.1:80']",
      "    tls: { cert: client.pem }",
      "    outlierDetection: { baseEjectionTime: 1m, maxEjectionTime: 30s }",
      "    retryBudget: { ttl: 5m }",
    );
    expect(problemsOf(text)).toEqual([
      "weir.yaml:6:18 clusters[0].tls.key: is required with cert (a client certificate needs both)",
      "weir.yaml:7:64 clusters[0].outlierDetection.maxEjectionTime: maxEjectionTime (30000ms) must not be below baseEjectionTime (60000ms)",
      "weir.yaml:8:25 clusters[0].retryBudget.ttl: must be from 1s to 60s, got 300000ms",
    ]);
  });

  it("filter sources, limits and registry references", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: in",
      "    port: 1000",
      "    routes: [{ cluster: c }]",
      "    filters:",
      "      - { name: a, source: { file: a.wasm, registry: 'a@1' } }",
      "      - { name: b, source: { registry: b } }",
      "      - { name: c, source: { file: c.wasm }, limits: { memory: 100KiB } }",
      "      - { name: d, source: { file: d.wasm }, limits: { memory: 64MiB, memoryPages: 1024, fuel: true } }",
      "clusters: [{ name: c, endpoints: ['10.0.0.1:80'] }]",
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:6:44 listeners[0].filters[0].source: needs exactly one of "file", "registry"; got "file" and "registry"',
      'weir.yaml:7:40 listeners[0].filters[1].source.registry: must be a registry reference like "auth@1.2.0" or "auth@stable", got "b"',
      "weir.yaml:8:64 listeners[0].filters[2].limits.memory: must be a whole number of 64KiB Wasm pages from 64KiB to 4GiB, got 102400 bytes",
      'weir.yaml:9:71 listeners[0].filters[3].limits: needs exactly one of "memory", "memoryPages"; got "memory" and "memoryPages"',
      "weir.yaml:9:96 listeners[0].filters[3].limits.fuel: must be an integer from 1 to 2147483647, got true",
    ]);
  });
});
