/**
 * Reads listeners: where they bind, which protocol and TLS they speak, the request limits
 * that answer 431/408/414/413, the filter chain, and which routes they use (inline `routes`,
 * inline `virtualHosts`, or a named `routeTable`). Also reads bind addresses for the admin API.
 */

import { DEFAULTS } from "./defaults.ts";
import { readFilter } from "./filters.ts";
import { type Checker, checkUnique, type Fields, fields, listOf, namedItems, type Read } from "./reader.ts";
import { readRoute, readVirtualHosts } from "./routes.ts";
import type { ConfigNode } from "./source.ts";
import type { BindAddress, ListenerConfig, ListenerTls, VirtualHost } from "./types.ts";
import { isHost, parseHostPort } from "./units.ts";
import { duration, integer, name, oneOf, size, text } from "./values.ts";

const DIRECTIONS = ["inbound", "outbound", "http-proxy"] as const;
const PROTOCOLS = ["auto", "http1", "http2"] as const;
const ALPN = ["h2", "http/1.1"] as const;

/** "host", "host:port" or "[v6]:port". */
const hostAndPort: Read<{ host: string; port?: number }> = (node, path, checker) => {
  const value = text()(node, path, checker);
  if (value === undefined) return undefined;
  try {
    // Port 0 binds any free port (tests, or a sidecar whose port is read back from the admin API).
    if (value.startsWith("[") || /^[^:]*:[^:]*$/.test(value)) return parseHostPort(value, 0);
    if (isHost(value)) return { host: value };
    throw new RangeError(`must be a host or "host:port", got ${JSON.stringify(value)}`);
  } catch (err) {
    checker.report(node, path, (err as Error).message);
  }
};

/**
 * Reads `address` and `port` from a map. The port is given once, in either; `fallbackPort`
 * applies when neither has it (without one, the port "is required").
 */
export function readBindAddress(f: Fields, fallbackAddress: string, fallbackPort?: number): BindAddress {
  // null: the address is wrong (and was reported), so a missing port is not worth a second problem.
  const given = f.has("address") ? f.get("address", hostAndPort, null) : { host: fallbackAddress, port: undefined };
  if (given?.port !== undefined && f.has("port")) {
    f.checker.report(f.value("port")!, f.at("port"), `is also given in address "${given.host}:${given.port}"; write the port once`);
  }
  if (given && given.port === undefined && !f.has("port") && fallbackPort === undefined) {
    f.checker.report(f.node, f.at("port"), 'is required (or give address as "host:port")');
  }
  return { address: given?.host ?? fallbackAddress, port: f.get("port", integer(0, 65535), given?.port ?? fallbackPort ?? 0) };
}

/** Reads `listeners[i]`. */
export function readListener(node: ConfigNode, path: string, checker: Checker): ListenerConfig | undefined {
  const f = fields(node, path, checker, [
    "name",
    "address",
    "port",
    "direction",
    "protocol",
    "tls",
    "limits",
    "drainTimeout",
    "filters",
    "routes",
    "virtualHosts",
    "routeTable",
  ]);
  if (!f) return undefined;
  const d = DEFAULTS.listener;
  const listenerName = f.need("name", name, "");
  const direction = f.get("direction", oneOf(DIRECTIONS), d.direction);
  const protocol = f.get("protocol", oneOf(PROTOCOLS), d.protocol);
  const bind = readBindAddress(f, DEFAULTS.listenerAddress(direction));
  const filters = f.get("filters", listOf(readFilter), []);
  checkUnique(checker, namedItems(f, "filters"), "filter name", " in this chain");
  const scope = inlineScope(listenerName);
  let routeTable: string | null = null;
  let virtualHosts: VirtualHost[] = [];
  const routing = f.exactlyOne(["routes", "virtualHosts", "routeTable"]);
  if (routing === "routes") {
    const routes = f.get(
      "routes",
      listOf((n, p, c) => readRoute(n, p, c, scope), { min: 1 }),
      [],
    );
    virtualHosts = [{ ...DEFAULTS.listener.inlineVirtualHost(), routes }];
  } else if (routing === "virtualHosts") {
    virtualHosts = f.get("virtualHosts", readVirtualHosts(scope), []);
  } else if (routing === "routeTable") {
    routeTable = f.get("routeTable", name, "");
    checker.refer(f.value("routeTable")!, f.at("routeTable"), "routeTable", routeTable);
  }
  return {
    name: listenerName,
    ...bind,
    direction,
    protocol,
    tls: f.get("tls", (n, p, c) => readTls(n, p, c, protocol), null),
    limits: f.get("limits", readLimits, { ...d.limits }),
    drainTimeout: f.get("drainTimeout", duration, d.drainTimeout),
    filters,
    routeTable,
    virtualHosts,
  };
}

/** The scope of a listener's inline routes, for filter-override checks (names cannot contain ":"). */
export function inlineScope(listener: string): string {
  return `listener:${listener}`;
}

function readTls(node: ConfigNode, path: string, checker: Checker, protocol: ListenerConfig["protocol"]): ListenerTls | undefined {
  const f = fields(node, path, checker, ["cert", "key", "alpn", "clientCa"]);
  if (!f) return undefined;
  return {
    cert: f.need("cert", text(), ""),
    key: f.need("key", text(), ""),
    alpn: f.get("alpn", listOf(oneOf(ALPN), { min: 1 }), DEFAULTS.alpn(protocol)),
    clientCa: f.get("clientCa", text(), null),
  };
}

function readLimits(node: ConfigNode, path: string, checker: Checker): ListenerConfig["limits"] | undefined {
  const f = fields(node, path, checker, ["maxHeadersSize", "maxHeaders", "headersTimeout", "maxUriSize", "maxBufferedBody"]);
  if (!f) return undefined;
  const d = DEFAULTS.listener.limits;
  return {
    maxHeadersSize: f.get("maxHeadersSize", size, d.maxHeadersSize),
    maxHeaders: f.get("maxHeaders", integer(1), d.maxHeaders),
    headersTimeout: f.get("headersTimeout", duration, d.headersTimeout),
    maxUriSize: f.get("maxUriSize", size, d.maxUriSize),
    maxBufferedBody: f.get("maxBufferedBody", size, d.maxBufferedBody),
  };
}
