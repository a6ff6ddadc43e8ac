/**
 * Reads one entry of a listener's filter chain: where the Wasm comes from, what it is
 * configured with, its sandbox limits and failure policy, and the capabilities it may use.
 * These map one to one onto the host's `FilterOptions` (proxy/abi/host.ts).
 */

import { DEFAULTS } from "./defaults.ts";
import { type Checker, fields } from "./reader.ts";
import type { ConfigNode } from "./source.ts";
import type { FilterConfig, FilterSource } from "./types.ts";
import { backoff, integer, name, namesOrAny, oneOf, opaque, size, text } from "./values.ts";

const PAGE = 65536;
const MAX_FUEL = 2 ** 31 - 1;

/** `name@version`, `name@tag` or `name@sha256:…`, optionally `@scope/name@…`. */
const REGISTRY_REF = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._+:-]*$/;

const FAILURE_POLICIES = ["fail-closed", "fail-open", "reload"] as const;

/** Reads `listeners[i].filters[j]`. */
export function readFilter(node: ConfigNode, path: string, checker: Checker): FilterConfig | undefined {
  const f = fields(node, path, checker, [
    "name",
    "source",
    "config",
    "vmConfig",
    "rootId",
    "vmId",
    "limits",
    "failurePolicy",
    "reloadBackoff",
    "capabilities",
  ]);
  if (!f) return undefined;
  const d = DEFAULTS.filter;
  return {
    name: f.need("name", name, ""),
    source: f.need("source", readSource, { file: "" }),
    config: f.get("config", opaque, d.config),
    vmConfig: f.get("vmConfig", opaque, d.vmConfig),
    rootId: f.get("rootId", text({ allowEmpty: true }), d.rootId),
    vmId: f.get("vmId", text({ allowEmpty: true }), d.vmId),
    limits: f.get("limits", readLimits, { ...d.limits }),
    failurePolicy: f.get("failurePolicy", oneOf(FAILURE_POLICIES), d.failurePolicy),
    reloadBackoff: f.get("reloadBackoff", backoff(d.reloadBackoff), { ...d.reloadBackoff }),
    capabilities: f.get("capabilities", readCapabilities, { ...d.capabilities }),
  };
}

function readSource(node: ConfigNode, path: string, checker: Checker): FilterSource | undefined {
  const f = fields(node, path, checker, ["file", "registry"]);
  const kind = f?.exactlyOne(["file", "registry"]);
  if (!f || !kind) return undefined;
  if (kind === "file") return { file: f.get("file", text(), "") };
  const ref = text({ pattern: REGISTRY_REF, describe: 'a registry reference like "auth@1.2.0" or "auth@stable"' });
  return { registry: f.get("registry", ref, "") };
}

function readLimits(node: ConfigNode, path: string, checker: Checker): FilterConfig["limits"] | undefined {
  const f = fields(node, path, checker, ["memory", "memoryPages", "fuel"]);
  if (!f) return undefined;
  const d = DEFAULTS.filter.limits;
  let memoryPages = d.memoryPages;
  const which = f.exactlyOne(["memory", "memoryPages"], true);
  if (which === "memoryPages") memoryPages = f.get("memoryPages", integer(1, 65536), d.memoryPages);
  if (which === "memory") {
    const bytes = f.get("memory", size, d.memoryPages * PAGE);
    if (bytes % PAGE !== 0 || bytes < PAGE || bytes > 65536 * PAGE) {
      checker.report(
        f.value("memory")!,
        f.at("memory"),
        `must be a whole number of 64KiB Wasm pages from 64KiB to 4GiB, got ${bytes} bytes`,
      );
    } else memoryPages = bytes / PAGE;
  }
  const fuel = f.get("fuel", readFuel, d.fuel);
  return { memoryPages, fuel };
}

function readFuel(node: ConfigNode, path: string, checker: Checker): number | false | undefined {
  if (node.kind === "scalar" && node.value === false) return false;
  return integer(1, MAX_FUEL)(node, path, checker);
}

function readCapabilities(node: ConfigNode, path: string, checker: Checker): FilterConfig["capabilities"] | undefined {
  const f = fields(node, path, checker, ["clusters", "foreignFunctions"]);
  if (!f) return undefined;
  const d = DEFAULTS.filter.capabilities;
  const clusters = f.get("clusters", namesOrAny(name), d.clusters);
  const list = f.value("clusters");
  if (Array.isArray(clusters) && list?.kind === "list") {
    list.items.forEach((item, i) => {
      if (item.kind === "scalar" && typeof item.value === "string") checker.refer(item, `${f.at("clusters")}[${i}]`, "cluster", item.value);
    });
  }
  return { clusters, foreignFunctions: f.get("foreignFunctions", namesOrAny(text()), d.foreignFunctions) };
}
