import { describe, expect, it } from "vitest";
import { WeirError } from "../../abi/errors.ts";
import { ConfigError, formatProblem } from "./errors.ts";
import { parseConfig } from "./load.ts";
import { BASE, problemsOf, yamlLines } from "./testing.ts";

/** BASE with `extra` lines appended to its listener (at line 6 onwards, indented 4). */
const listenerWith = (...extra: string[]) =>
  yamlLines(
    "listeners:",
    "  - name: inbound",
    "    port: 15006",
    "    routes:",
    "      - cluster: app",
    ...extra,
    "clusters:",
    "  - name: app",
    '    endpoints: ["127.0.0.1:8080"]',
  );

describe("ConfigError", () => {
  it("is a WeirError with a stable code, sorted problems and one line per problem", () => {
    const error = new ConfigError("w.yaml", [
      { file: "w.yaml", path: "b", line: 9, column: 1, message: "second" },
      { file: "w.yaml", path: "a", line: 2, column: 5, message: "first" },
    ]);
    expect(error).toBeInstanceOf(WeirError);
    expect(WeirError.isWeirError(error)).toBe(true);
    expect(error.code).toBe("WEIR_CONFIG");
    expect(error.name).toBe("ConfigError");
    expect(error.problems.map((p) => p.message)).toEqual(["first", "second"]);
    expect(error.message).toBe("Invalid config w.yaml (2 problems):\nw.yaml:2:5 a: first\nw.yaml:9:1 b: second");
  });

  it("formats problems without a position or a path", () => {
    expect(formatProblem({ file: "w.yaml", path: "", line: 0, column: 0, message: "cannot read" })).toBe("w.yaml cannot read");
    expect(formatProblem({ file: "w.yaml", path: "", line: 3, column: 1, message: "YAML syntax: x" })).toBe("w.yaml:3:1 YAML syntax: x");
  });
});

describe("every problem names file:line:column and the field path", () => {
  it("a value out of range", () => {
    expect(problemsOf(BASE.replace("port: 15006", "port: 70000"))).toEqual([
      "weir.yaml:3:11 listeners[0].port: must be an integer from 0 to 65535, got 70000",
    ]);
  });

  it("an enum value, with did-you-mean", () => {
    const text = listenerWith(
      "    filters:",
      "      - name: a",
      "        source: { file: a.wasm }",
      "      - name: b",
      "        source: { file: b.wasm }",
      "        failurePolicy: fail-close",
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:11:24 listeners[0].filters[1].failurePolicy: must be one of fail-closed, fail-open, reload; got "fail-close" (did you mean "fail-closed"?)',
    ]);
  });

  it("an unknown field, with did-you-mean or the allowed fields", () => {
    expect(problemsOf(listenerWith("    drainTimout: 5s", "    colour: blue"))).toEqual([
      'weir.yaml:6:5 listeners[0].drainTimout: unknown field "drainTimout" (did you mean "drainTimeout"?)',
      'weir.yaml:7:5 listeners[0].colour: unknown field "colour"; expected one of name, address, port, direction, protocol, tls, limits, drainTimeout, filters, routes, virtualHosts, routeTable',
    ]);
  });

  it("a wrong type", () => {
    expect(problemsOf(listenerWith("    limits: { maxHeaders: lots }", "    tls: [cert.pem]"))).toEqual([
      'weir.yaml:6:27 listeners[0].limits.maxHeaders: must be an integer from 1, got "lots"',
      "weir.yaml:7:10 listeners[0].tls: must be a map with fields cert, key, alpn, clientCa; got a list",
    ]);
  });

  it("a string field given a number suggests quoting it", () => {
    const text = listenerWith("    filters:", "      - name: a", "        source: { file: a.wasm }", "        rootId: 12");
    expect(problemsOf(text)).toEqual(['weir.yaml:9:17 listeners[0].filters[0].rootId: must be a string, got 12 (quote it: "12")']);
  });

  it("a missing required field, at the map that lacks it", () => {
    const text = yamlLines(
      "listeners:",
      "  - name: inbound",
      "    routes: [{ cluster: app }]",
      "clusters:",
      "  - endpoints: ['127.0.0.1:1']",
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:2:5 listeners[0].port: is required (or give address as "host:port")',
      'weir.yaml:3:25 listeners[0].routes[0].cluster: cluster "app" is not defined; no clusters are defined',
      "weir.yaml:5:5 clusters[0].name: is required",
    ]);
  });

  it("exactly one of several fields", () => {
    const text = listenerWith("    routeTable: t").replace(
      "      - cluster: app",
      "      - cluster: app\n        directResponse: { status: 200 }",
    );
    expect(problemsOf(text)).toEqual([
      'weir.yaml:6:9 listeners[0].routes[0]: needs exactly one of "cluster", "weightedClusters", "directResponse", "redirect"; got "cluster" and "directResponse"',
      'weir.yaml:7:5 listeners[0]: needs exactly one of "routes", "virtualHosts", "routeTable"; got "routes" and "routeTable"',
    ]);
    expect(problemsOf(yamlLines("listeners:", "  - name: a", "    port: 1", "clusters: []"))).toEqual([
      'weir.yaml:2:5 listeners[0]: needs exactly one of "routes", "virtualHosts", "routeTable"; none is set',
    ]);
  });

  it("durations and sizes", () => {
    expect(problemsOf(listenerWith("    drainTimeout: 5 seconds", "    limits: { maxBufferedBody: 1mb }"))).toEqual([
      'weir.yaml:6:19 listeners[0].drainTimeout: must be a duration like "250ms", "10s" or "1m", got "5 seconds"',
      'weir.yaml:7:32 listeners[0].limits.maxBufferedBody: must be a size like "60KiB", "64MiB" or a number of bytes, got "1mb": unknown unit "mb" (did you mean "1MB"?); use B, KB, MB, GB, KiB, MiB or GiB',
    ]);
  });

  it("a regex that does not compile quotes the engine's error", () => {
    const text = BASE.replace("      - cluster: app", "      - cluster: app\n        match: { regex: '^/v(' }");
    expect(problemsOf(text)).toEqual([
      'weir.yaml:6:25 listeners[0].routes[0].match.regex: is not a valid regular expression "^/v(": Invalid regular expression: /^/v(/: Unterminated group',
    ]);
  });

  it("YAML syntax errors stop before validation", () => {
    expect(problemsOf(yamlLines("listeners:", "  - name: [a, b", "clusters: {}"))).toEqual([
      "weir.yaml:3:1 YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(problemsOf(yamlLines("a: 1", "a: 2"))).toEqual(["weir.yaml:2:1 YAML syntax: Map keys must be unique"]);
  });

  it("an empty file or a root that is not a map", () => {
    expect(problemsOf("")).toEqual(["weir.yaml:1:1 listeners: is required"]);
    expect(problemsOf("- a\n")).toEqual([
      "weir.yaml:1:1 must be a map with fields admin, workers, accessLog, listeners, routeTables, clusters; got a list",
    ]);
  });
});

describe("all problems are reported at once", () => {
  it("collects problems from every section, in file order", () => {
    const text = yamlLines(
      "admin: { port: 99999 }",
      "workers: many",
      "accessLog: verbose",
      "listeners:",
      "  - name: in bound",
      "    port: 15006",
      "    protocol: http3",
      "    routes: [{ cluster: app, timeout: soon }]",
      "clusters:",
      "  - name: app",
      "    endpoints: [localhost]",
      "    lbPolicy: least-request",
    );
    let error: ConfigError | undefined;
    try {
      parseConfig(text, { file: "weir.yaml" });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [1, 16, "admin.port"],
      [2, 10, "workers"],
      [3, 12, "accessLog"],
      [5, 11, "listeners[0].name"],
      [7, 15, "listeners[0].protocol"],
      [8, 39, "listeners[0].routes[0].timeout"],
      [11, 17, "clusters[0].endpoints[0]"],
      [12, 15, "clusters[0].lbPolicy"],
    ]);
    expect(error?.message.split("\n")[0]).toBe("Invalid config weir.yaml (8 problems):");
    expect(error?.problems[7].message).toBe(
      'must be one of round_robin, least_request, random, ring_hash; got "least-request" (did you mean "least_request"?)',
    );
  });
});
