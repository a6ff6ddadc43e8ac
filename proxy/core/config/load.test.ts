import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "./defaults.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig, parseConfig } from "./load.ts";
import { BASE, problemsOf, yamlLines } from "./testing.ts";
import type { ClusterRoute, ProxyConfig, WeightedRoute } from "./types.ts";

const EXAMPLES = join(import.meta.dirname, "../../../examples/configs");
const example = (name: string) => parseConfig(readFileSync(join(EXAMPLES, name), "utf8"), { file: name });

describe("parseConfig normalizes", () => {
  it("fills every default into the minimal example", () => {
    const config: ProxyConfig = example("minimal.yaml");
    expect(config).toEqual({
      admin: { address: "127.0.0.1", port: 9901 },
      workers: "auto",
      accessLog: { format: "text", path: "stdout" },
      listeners: [
        {
          name: "inbound",
          address: "0.0.0.0",
          port: 15006,
          direction: "inbound",
          protocol: "auto",
          tls: null,
          limits: { maxHeadersSize: 61_440, maxHeaders: 100, headersTimeout: 10_000, maxUriSize: 8_192, maxBufferedBody: 1_048_576 },
          drainTimeout: 20_000,
          filters: [],
          routeTable: null,
          virtualHosts: [
            {
              name: "default",
              domains: ["*"],
              routes: [
                {
                  name: "",
                  match: { path: { prefix: "/" }, caseSensitive: true, headers: [], queryParams: [], methods: [] },
                  cluster: "app",
                  timeout: 15_000,
                  retries: {
                    retryOn: ["connect-failure", "refused-stream", "reset"],
                    numRetries: 1,
                    perTryTimeout: 0,
                    retriableStatusCodes: [],
                    backoff: { base: 25, max: 250 },
                    idempotentOnly: true,
                  },
                  filters: {},
                },
              ],
            },
          ],
        },
      ],
      routeTables: [],
      clusters: [
        {
          name: "app",
          protocol: "http1",
          endpoints: [{ host: "127.0.0.1", port: 8080 }],
          dns: null,
          lbPolicy: "round_robin",
          hashOn: null,
          timeouts: { connect: 5_000, request: 0, idle: 4_000 },
          pool: { maxConnectionsPerEndpoint: 0, maxRequestsPerConnection: 0 },
          circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
          outlierDetection: {
            enabled: true,
            consecutive5xx: 5,
            interval: 10_000,
            baseEjectionTime: 30_000,
            maxEjectionTime: 300_000,
            maxEjectionPercent: 10,
          },
          healthCheck: null,
          tls: null,
          retryBudget: { percent: 20, minRetriesPerSecond: 10, ttl: 10_000 },
        },
      ],
    });
  });

  it("reads the sidecar example", () => {
    const config = example("sidecar.yaml");
    const [inbound, outbound] = config.listeners;
    expect(config.accessLog).toEqual({ format: "json", path: "stdout" });
    expect(inbound.filters.map((f) => [f.name, f.source, f.failurePolicy])).toEqual([
      ["auth", { file: "../../filters/auth/build/auth.wasm" }, "fail-closed"],
      ["ratelimit", { registry: "ratelimit@1.2.0" }, "fail-open"],
    ]);
    expect(JSON.parse(inbound.filters[0].config)).toEqual({
      issuer: "https://issuer.example.com",
      audiences: ["orders-api"],
      jwksCluster: "jwks",
    });
    expect(inbound.filters[0].limits).toEqual({ memoryPages: 512, fuel: 20_000_000 });
    expect(inbound.filters[0].capabilities).toEqual({ clusters: ["jwks"], foreignFunctions: ["weir.verify_signature"] });
    expect(inbound.filters[1].capabilities).toEqual({ clusters: "*", foreignFunctions: "*" });
    expect(inbound.virtualHosts[0].routes[0]).toMatchObject({
      match: { path: { path: "/healthz" } },
      directResponse: { status: 200, body: "ok" },
      filters: { auth: { disabled: true, config: null }, ratelimit: { disabled: true, config: null } },
    });
    expect(inbound.virtualHosts[0].routes[1]).toMatchObject({
      redirect: { scheme: null, host: null, port: null, path: "/v2/", code: 308 },
    });
    expect(outbound).toMatchObject({ direction: "http-proxy", address: "127.0.0.1", port: 15001, routeTable: "outbound" });
    expect(outbound.virtualHosts).toBe(config.routeTables[0].virtualHosts);
    const [canary, orders] = outbound.virtualHosts[0].routes as [WeightedRoute, ClusterRoute];
    expect(canary.weightedClusters).toEqual([
      { name: "orders", weight: 90 },
      { name: "orders-canary", weight: 10 },
    ]);
    expect(canary.match.headers).toEqual([{ name: "x-canary", exact: "true" }]);
    expect(orders.retries).toEqual({
      retryOn: ["5xx", "reset", "connect-failure"],
      numRetries: 2,
      perTryTimeout: 2_000,
      retriableStatusCodes: [],
      backoff: { base: 25, max: 250 },
      idempotentOnly: true,
    });
    const clusters = Object.fromEntries(config.clusters.map((c) => [c.name, c]));
    expect(clusters.orders.dns).toEqual({ host: "orders.default.svc.cluster.local", port: 8080, refresh: 5_000 });
    expect(clusters.orders.endpoints).toEqual([]);
    expect(clusters["orders-canary"].dns).toEqual({ host: "orders-canary.default.svc.cluster.local", port: 8080, refresh: 10_000 });
    expect(clusters.orders.healthCheck).toEqual({
      path: "/ready",
      interval: 10_000,
      timeout: 1_000,
      healthyThreshold: 1,
      unhealthyThreshold: 3,
    });
    expect(clusters.jwks.tls).toEqual({ ca: null, sni: "issuer.example.com", cert: null, key: null, alpn: ["http/1.1"] });
    expect(clusters.orders.lbPolicy).toBe("least_request");
  });

  it("accepts the short forms", () => {
    const config = parseConfig(
      yamlLines(
        "admin: { address: '[::1]:9000' }",
        "workers: 4",
        "accessLog: off",
        "listeners:",
        "  - name: out",
        "    address: 127.0.0.2:15001",
        "    direction: outbound",
        "    protocol: http2",
        "    tls: { cert: c.pem, key: k.pem }",
        "    filters:",
        "      - name: f",
        "        source: { file: f.wasm }",
        "        config: plain text",
        "        vmConfig: [1, 2]",
        "        limits: { memoryPages: 16, fuel: false }",
        "        reloadBackoff: { base: 2s }",
        "    routes:",
        "      - cluster: app",
        "        retries: { retryOn: '5xx, retriable-status-codes', retriableStatusCodes: [503], backoff: { base: 100ms } }",
        "clusters:",
        "  - name: app",
        "    endpoints: [{ host: app.local, port: 80 }]",
        "    lbPolicy: ring_hash",
        "    hashOn: { header: X-User }",
      ),
    );
    expect(config.admin).toEqual({ address: "::1", port: 9000 });
    expect(config.workers).toBe(4);
    expect(config.accessLog).toEqual({ format: "off", path: "stdout" });
    const listener = config.listeners[0];
    expect(listener).toMatchObject({
      address: "127.0.0.2",
      port: 15001,
      tls: { cert: "c.pem", key: "k.pem", alpn: ["h2"], clientCa: null },
    });
    expect(listener.filters[0]).toMatchObject({ config: "plain text", vmConfig: "[1,2]", limits: { memoryPages: 16, fuel: false } });
    expect(listener.filters[0].reloadBackoff).toEqual({ base: 2_000, max: 20_000 });
    const route = listener.virtualHosts[0].routes[0] as ClusterRoute;
    expect(route.retries).toMatchObject({
      retryOn: ["5xx", "retriable-status-codes"],
      retriableStatusCodes: [503],
      backoff: { base: 100, max: 1_000 },
    });
    expect(config.clusters[0]).toMatchObject({ endpoints: [{ host: "app.local", port: 80 }], hashOn: { header: "x-user" } });
  });

  it("resolves anchors, aliases and merge keys, with x- fields as a place for anchors", () => {
    const config = parseConfig(
      yamlLines(
        "x-limits: &limits",
        "  maxHeaders: 50",
        "  headersTimeout: 5s",
        "listeners:",
        "  - name: a",
        "    port: 1001",
        "    limits: { <<: *limits, maxHeaders: 10 }",
        "    routes: [{ cluster: app }]",
        "  - name: b",
        "    port: 1002",
        "    limits: *limits",
        "    routes: [{ cluster: app }]",
        "clusters: [{ name: app, endpoints: ['127.0.0.1:8080'] }]",
      ),
    );
    expect(config.listeners.map((l) => [l.limits.maxHeaders, l.limits.headersTimeout])).toEqual([
      [10, 5_000],
      [50, 5_000],
    ]);
  });

  it("reports a bad value reached through an alias where it is written", () => {
    const text = yamlLines(
      "x-limits: &limits",
      "  maxHeaders: -1",
      "listeners:",
      "  - name: a",
      "    port: 1001",
      "    limits: *limits",
      "    routes: [{ directResponse: { status: 204 } }]",
    );
    expect(problemsOf(text)).toEqual(["weir.yaml:2:15 listeners[0].limits.maxHeaders: must be an integer from 1, got -1"]);
  });

  it("does not share default objects between configs", () => {
    const a = parseConfig(BASE);
    (a.listeners[0].virtualHosts[0].routes[0] as ClusterRoute).retries.retryOn.push("5xx");
    a.clusters[0].circuitBreakers.maxConnections = 1;
    const b = parseConfig(BASE);
    expect((b.listeners[0].virtualHosts[0].routes[0] as ClusterRoute).retries.retryOn).toEqual(DEFAULTS.route.retries.retryOn);
    expect(b.clusters[0].circuitBreakers.maxConnections).toBe(1024);
  });
});

describe("loadConfig", () => {
  it("reads through the injected function", async () => {
    const config = await loadConfig("/etc/weir.yaml", { readFile: async () => BASE });
    expect(config.listeners[0].name).toBe("inbound");
  });

  it("turns a read failure into a ConfigError with the cause", async () => {
    const cause = Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
    const error = await loadConfig("/etc/weir.yaml", {
      readFile: async () => {
        throw cause;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).cause).toBe(cause);
    expect((error as ConfigError).message).toBe(
      "Invalid config /etc/weir.yaml (1 problem):\n/etc/weir.yaml cannot read the config file: ENOENT: no such file or directory",
    );
  });

  it("names the file in every problem", async () => {
    const error = await loadConfig("conf/w.yaml", { readFile: async () => "listeners: 3\n" }).catch((e: ConfigError) => e);
    expect((error as ConfigError).problems).toEqual([
      { file: "conf/w.yaml", path: "listeners", line: 1, column: 12, message: "must be a list, got 3" },
    ]);
  });
});

describe("bind addresses", () => {
  const admin = (line: string) => `${line}\n${BASE}`;
  it("takes the port from address or from port, once", () => {
    expect(parseConfig(admin("admin: { address: 0.0.0.0, port: 9000 }")).admin).toEqual({ address: "0.0.0.0", port: 9000 });
    expect(parseConfig(admin("admin: { address: '::' }")).admin).toEqual({ address: "::", port: 9901 });
    expect(parseConfig(admin("admin: { port: 9000 }")).admin).toEqual({ address: "127.0.0.1", port: 9000 });
    expect(problemsOf(admin("admin: { address: 'localhost:9000', port: 9000 }"))).toEqual([
      'weir.yaml:1:43 admin.port: is also given in address "localhost:9000"; write the port once',
    ]);
    expect(problemsOf(admin("admin: { address: 'local host' }"))).toEqual([
      'weir.yaml:1:19 admin.address: must be a host or "host:port", got "local host"',
    ]);
  });
});
