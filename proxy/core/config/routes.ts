/**
 * Reads route tables, virtual hosts and routes. A virtual host is chosen by the request's
 * host (`api.example.com`, `*.example.com`, `api.*`, or `*`), then its routes are tried in
 * order; the first whose `match` fits decides the action (route-action.ts). Routes can also
 * override or disable a filter of the listener's chain by name.
 */

import { matchAll, readMatch } from "./match.ts";
import { type Checker, checkUnique, fields, join, listOf, type Read, show } from "./reader.ts";
import { readAction } from "./route-action.ts";
import type { ConfigNode } from "./source.ts";
import type { FilterOverride, Route, RouteTable, VirtualHost } from "./types.ts";
import { boolean, name, opaque, text } from "./values.ts";

/** Exact names, `*`, a leading `*` wildcard (`*.example.com`, `*-api.example.com`) or a trailing one (`api.*`); an optional `:port`. */
const DOMAIN = /^(?:\*|\*[A-Za-z0-9.-]+|[A-Za-z0-9.-]+\*|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

const domain = text({ pattern: DOMAIN, describe: 'a host name, "*", or one with a leading or trailing "*" (like "*.example.com")' });

/** Reads `routeTables[i]`. */
export function readRouteTable(node: ConfigNode, path: string, checker: Checker): RouteTable | undefined {
  const f = fields(node, path, checker, ["name", "virtualHosts"]);
  if (!f) return undefined;
  const table = f.need("name", name, "");
  return { name: table, virtualHosts: f.need("virtualHosts", readVirtualHosts(table), []) };
}

/** Reads a virtual host; `scope` names the route table (or listener) its routes belong to. */
export function readVirtualHost(node: ConfigNode, path: string, checker: Checker, scope: string): VirtualHost | undefined {
  const f = fields(node, path, checker, ["name", "domains", "routes"]);
  if (!f) return undefined;
  const domains = f.need("domains", listOf(domain, { min: 1 }), []).map((d) => d.toLowerCase());
  return {
    name: f.get("name", name, domains[0] ?? ""),
    domains,
    routes: f.need(
      "routes",
      listOf((n, p, c) => readRoute(n, p, c, scope), { min: 1 }),
      [],
    ),
  };
}

/** Reads a list of virtual hosts; a domain may appear only once across them (as in Envoy). */
export function readVirtualHosts(scope: string): Read<VirtualHost[]> {
  return (node, path, checker) => {
    const hosts = listOf((n, p, c) => readVirtualHost(n, p, c, scope), { min: 1 })(node, path, checker);
    if (node.kind !== "list") return hosts;
    const domains = node.items.flatMap((host, i) => {
      const list = host.kind === "map" ? host.entries.find((e) => e.key === "domains")?.value : undefined;
      if (list?.kind !== "list") return [];
      return list.items.flatMap((d, j) =>
        d.kind === "scalar" && typeof d.value === "string"
          ? [{ name: d.value.toLowerCase(), at: d, path: `${path}[${i}].domains[${j}]` }]
          : [],
      );
    });
    checkUnique(checker, domains, "domain");
    return hosts;
  };
}

/** Reads one route; `scope` tags its filter overrides for the check against the listener's chain. */
export function readRoute(node: ConfigNode, path: string, checker: Checker, scope: string): Route | undefined {
  const f = fields(node, path, checker, [
    "name",
    "match",
    "cluster",
    "weightedClusters",
    "directResponse",
    "redirect",
    "timeout",
    "retries",
    "filters",
  ]);
  if (!f) return undefined;
  const routeName = f.get("name", text(), "");
  const match = f.get("match", readMatch, matchAll());
  const action = readAction(f);
  const filters = f.get("filters", (n, p, c) => readOverrides(n, p, c, scope), {});
  return action && { name: routeName, match, ...action, filters };
}

/** `filters: { auth: disabled, ratelimit: { config: … } }`. */
function readOverrides(node: ConfigNode, path: string, checker: Checker, scope: string): Record<string, FilterOverride> | undefined {
  if (node.kind !== "map")
    return void checker.report(node, path, `must be a map from filter name to "disabled" or { config, disabled }; got ${show(node)}`);
  const out: [string, FilterOverride][] = [];
  for (const entry of node.entries) {
    const at = join(path, entry.key);
    checker.refer(entry.at, at, "filter", entry.key, scope);
    const value = entry.value;
    if (value.kind === "scalar" && value.value === "disabled") {
      out.push([entry.key, { disabled: true, config: null }]);
      continue;
    }
    if (value.kind !== "map") {
      checker.report(value, at, `must be "disabled" or a map with config and/or disabled; got ${show(value)}`);
      continue;
    }
    const f = fields(value, at, checker, ["config", "disabled"]);
    if (f) out.push([entry.key, { disabled: f.get("disabled", boolean, false), config: f.get("config", opaque, null) }]);
  }
  return Object.fromEntries(out); // own properties even for a key like "__proto__"
}
