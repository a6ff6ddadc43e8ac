/**
 * Reads what a matched route does: forward to a cluster or to weighted clusters (with a
 * timeout that covers every attempt and a retry policy), answer directly, or redirect.
 * Retry defaults follow DESIGN.md: once, on failures the upstream cannot have acted on, for
 * idempotent methods, with Envoy's jittered 25–250 ms backoff.
 */

import { DEFAULTS } from "./defaults.ts";
import { type Checker, checkUnique, type Fields, fields, listOf, namedItems, type Read, show } from "./reader.ts";
import type { ConfigNode } from "./source.ts";
import type { DirectResponseRoute, Forwarding, RedirectRoute, RetryOn, RetryPolicy, WeightedCluster } from "./types.ts";
import { backoff, boolean, duration, integer, name, oneOf, text } from "./values.ts";

const ACTIONS = ["cluster", "weightedClusters", "directResponse", "redirect"] as const;

const RETRY_ON = ["5xx", "gateway-error", "reset", "connect-failure", "refused-stream", "retriable-status-codes"] as const;
const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;

export type Action =
  | ({ cluster: string } & Forwarding)
  | ({ weightedClusters: WeightedCluster[] } & Forwarding)
  | Pick<DirectResponseRoute, "directResponse">
  | Pick<RedirectRoute, "redirect">;

/** Reads the action fields of the route map `f`; undefined (after reporting) when there is none. */
export function readAction(f: Fields): Action | undefined {
  const checker = f.checker;
  const kind = f.exactlyOne(ACTIONS);
  if (kind === "directResponse" || kind === "redirect") {
    for (const key of ["timeout", "retries"]) {
      if (f.has(key)) checker.report(f.value(key)!, f.at(key), `applies only to routes that forward to a cluster, not to a ${kind} route`);
    }
  }
  const d = DEFAULTS.route;
  const forwarding = (): Forwarding => ({
    timeout: f.get("timeout", duration, d.timeout),
    retries: f.get("retries", readRetries, structuredClone(d.retries)),
  });
  switch (kind) {
    case "cluster": {
      const cluster = f.get("cluster", name, "");
      checker.refer(f.value("cluster")!, f.at("cluster"), "cluster", cluster);
      return { cluster, ...forwarding() };
    }
    case "weightedClusters": {
      const weightedClusters = f.get("weightedClusters", listOf(readWeighted, { min: 1 }), []);
      checkUnique(checker, namedItems(f, "weightedClusters"), "cluster", " in weightedClusters");
      return { weightedClusters, ...forwarding() };
    }
    case "directResponse":
      return { directResponse: f.get("directResponse", readDirectResponse, { status: 200, body: "" }) };
    case "redirect":
      return { redirect: f.get("redirect", readRedirect, { scheme: null, host: null, port: null, path: null, code: d.redirectCode }) };
  }
  return undefined;
}

function readWeighted(node: ConfigNode, path: string, checker: Checker): WeightedCluster | undefined {
  const f = fields(node, path, checker, ["name", "weight"]);
  if (!f) return undefined;
  const cluster = f.need("name", name, "");
  if (cluster !== "") checker.refer(f.value("name")!, f.at("name"), "cluster", cluster);
  return { name: cluster, weight: f.need("weight", integer(1, 1_000_000), 1) };
}

function readDirectResponse(node: ConfigNode, path: string, checker: Checker): DirectResponseRoute["directResponse"] | undefined {
  const f = fields(node, path, checker, ["status", "body"]);
  if (!f) return undefined;
  return {
    status: f.need("status", integer(200, 599), 200),
    body: f.get("body", text({ allowEmpty: true }), DEFAULTS.route.directResponseBody),
  };
}

function readRedirect(node: ConfigNode, path: string, checker: Checker): RedirectRoute["redirect"] | undefined {
  const parts = ["scheme", "host", "port", "path"];
  const f = fields(node, path, checker, [...parts, "code"]);
  if (!f) return undefined;
  if (!parts.some((p) => f.has(p)))
    checker.report(node, path, "needs at least one of scheme, host, port, path (else it redirects to itself)");
  return {
    scheme: f.get("scheme", oneOf(["http", "https"]), null),
    host: f.get("host", text({ pattern: /^[A-Za-z0-9.-]+$/, describe: "a host name without port" }), null),
    port: f.get("port", integer(1, 65535), null),
    path: f.get("path", text({ pattern: /^\//, describe: 'a path starting with "/"' }), null),
    code: f.get("code", oneOf(REDIRECT_CODES), DEFAULTS.route.redirectCode),
  };
}

/** `retryOn` as a list or Envoy's comma-separated string ("5xx,reset"). */
const retryOn: Read<RetryOn[]> = (node, path, checker) => {
  if (node.kind === "scalar" && typeof node.value === "string") {
    const items = node.value.split(",").map((s) => ({ ...node, value: s.trim() }));
    return listOf(oneOf(RETRY_ON))({ kind: "list", items, line: node.line, column: node.column }, path, checker);
  }
  if (node.kind !== "list") return void checker.report(node, path, `must be a list of ${RETRY_ON.join(", ")}; got ${show(node)}`);
  return listOf(oneOf(RETRY_ON))(node, path, checker);
};

function readRetries(node: ConfigNode, path: string, checker: Checker): RetryPolicy | undefined {
  const f = fields(node, path, checker, ["retryOn", "numRetries", "perTryTimeout", "retriableStatusCodes", "backoff", "idempotentOnly"]);
  if (!f) return undefined;
  const d = DEFAULTS.route.retries;
  const policy: RetryPolicy = {
    retryOn: f.get("retryOn", retryOn, [...d.retryOn]),
    numRetries: f.get("numRetries", integer(0, 100), d.numRetries),
    perTryTimeout: f.get("perTryTimeout", duration, d.perTryTimeout),
    retriableStatusCodes: f.get("retriableStatusCodes", listOf(integer(100, 599)), [...d.retriableStatusCodes]),
    backoff: f.get("backoff", backoff(d.backoff), { ...d.backoff }),
    idempotentOnly: f.get("idempotentOnly", boolean, d.idempotentOnly),
  };
  const wantsCodes = policy.retryOn.includes("retriable-status-codes");
  if (wantsCodes && policy.retriableStatusCodes.length === 0) {
    checker.report(f.value("retryOn")!, f.at("retriableStatusCodes"), 'is required when retryOn includes "retriable-status-codes"');
  }
  if (!wantsCodes && policy.retriableStatusCodes.length > 0) {
    checker.report(
      f.value("retriableStatusCodes")!,
      f.at("retriableStatusCodes"),
      'has no effect unless retryOn includes "retriable-status-codes"',
    );
  }
  return policy;
}
