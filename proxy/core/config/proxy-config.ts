/**
 * Reads the top of the config file (admin, workers, access log, and the lists of listeners,
 * route tables and clusters), checks what must be unique across the file (names, ports), and
 * resolves each listener's route table. The result is only trustworthy when the checker
 * recorded no problems.
 */

import { readCluster } from "./clusters.ts";
import { DEFAULTS } from "./defaults.ts";
import { readBindAddress, readListener } from "./listeners.ts";
import { type Checker, checkUnique, fields, join, listOf, namedItems, type Read, show } from "./reader.ts";
import { checkReferences } from "./references.ts";
import { readRouteTable } from "./routes.ts";
import type { ConfigNode } from "./source.ts";
import type { AccessLogConfig, ListenerConfig, ProxyConfig } from "./types.ts";
import { integer, oneOf, text } from "./values.ts";

const TOP_LEVEL = ["admin", "workers", "accessLog", "listeners", "routeTables", "clusters"];
const ACCESS_LOG_FORMATS = ["off", "json", "text"] as const;

/** Reads and cross-checks a whole config document; problems go to `checker`. */
export function readProxyConfig(root: ConfigNode, checker: Checker): ProxyConfig {
  // Top-level `x-…` fields are ignored, as in Docker Compose: a place to define YAML anchors.
  const visible = root.kind === "map" ? { ...root, entries: root.entries.filter((e) => !e.key.startsWith("x-")) } : root;
  const f = fields(visible, "", checker, TOP_LEVEL);
  if (!f) return emptyConfig();
  const admin = f.get("admin", readAdmin, { ...DEFAULTS.admin });
  const claimPort = portClaims(checker, admin.port);
  const listener: Read<ListenerConfig> = (node, path, c) => {
    const read = readListener(node, path, c);
    if (read) claimPort(read, node, path);
    return read;
  };
  const config: ProxyConfig = {
    admin,
    workers: f.get("workers", workers, DEFAULTS.workers),
    accessLog: f.get("accessLog", readAccessLog, { ...DEFAULTS.accessLog }),
    listeners: f.need("listeners", listOf(listener, { min: 1 }), []),
    routeTables: f.get("routeTables", listOf(readRouteTable), []),
    clusters: f.get("clusters", listOf(readCluster), []),
  };
  checkUnique(checker, namedItems(f, "listeners"), "listener name");
  checkUnique(checker, namedItems(f, "routeTables"), "route table name");
  checkUnique(checker, namedItems(f, "clusters"), "cluster name");
  for (const listener of config.listeners) {
    const table = config.routeTables.find((t) => t.name === listener.routeTable);
    if (table) listener.virtualHosts = table.virtualHosts;
  }
  checkReferences(checker, config);
  return config;
}

function emptyConfig(): ProxyConfig {
  return {
    admin: { ...DEFAULTS.admin },
    workers: DEFAULTS.workers,
    accessLog: { ...DEFAULTS.accessLog },
    listeners: [],
    routeTables: [],
    clusters: [],
  };
}

function readAdmin(node: ConfigNode, path: string, checker: Checker) {
  const f = fields(node, path, checker, ["address", "port"]);
  return f && readBindAddress(f, DEFAULTS.admin.address, DEFAULTS.admin.port);
}

const workers: Read<number | "auto"> = (node, path, checker) => {
  if (node.kind === "scalar" && node.value === "auto") return "auto";
  if (node.kind === "scalar" && typeof node.value === "number") return integer(1, 1024)(node, path, checker);
  checker.report(node, path, `must be "auto" or an integer from 1 to 1024, got ${show(node)}`);
};

/** `accessLog: json` or `accessLog: { format, path }`. */
function readAccessLog(node: ConfigNode, path: string, checker: Checker): AccessLogConfig | undefined {
  const d = DEFAULTS.accessLog;
  if (node.kind === "scalar") {
    const format = oneOf(ACCESS_LOG_FORMATS)(node, path, checker);
    return format && { format, path: d.path };
  }
  const f = fields(node, path, checker, ["format", "path"]);
  return f && { format: f.get("format", oneOf(ACCESS_LOG_FORMATS), d.format), path: f.get("path", text(), d.path) };
}

/** Listener ports must differ from each other and from the admin port; returns the check for one listener. */
function portClaims(checker: Checker, adminPort: number) {
  const owners = new Map<number, string>([[adminPort, "the admin API"]]);
  return (listener: ListenerConfig, node: ConfigNode, path: string) => {
    if (listener.port === 0 || node.kind !== "map") return;
    const entry = node.entries.find((e) => e.key === "port") ?? node.entries.find((e) => e.key === "address");
    const owner = owners.get(listener.port);
    if (owner) checker.report(entry?.value ?? node, join(path, entry?.key ?? "port"), `port ${listener.port} is already used by ${owner}`);
    else owners.set(listener.port, `listener "${listener.name}"`);
  };
}
