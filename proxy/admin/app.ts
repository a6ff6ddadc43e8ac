/**
 * The admin API: a Hono app the runtime adapter serves on its own port (127.0.0.1:9901 by
 * default), modelled on Envoy's (https://www.envoyproxy.io/docs/envoy/latest/operations/admin).
 * It speaks web standards only, so the same app runs on Node, Deno and Bun, and tests drive it
 * in-process with `app.request("/ready")`. Every endpoint is a read; JSON is pretty-printed,
 * since people read it with curl. Endpoints and the stat naming scheme: `README.md` beside this file.
 */

import { type Context, Hono } from "hono";
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from "../core/stats/prometheus.ts";
import { snapshotStats } from "../core/stats/snapshot.ts";
import type { AdminOptions, Readiness } from "./types.ts";

/** Every endpoint, for `/` and for telling a wrong method (405) from a wrong path (404). */
export const ADMIN_ENDPOINTS: readonly { path: string; description: string }[] = [
  { path: "/", description: "this list (?format=json for JSON)" },
  { path: "/ready", description: "200 when every listener is bound and every filter loaded, else 503 with the reasons (?format=json)" },
  { path: "/stats", description: "every stat as JSON (?filter=<regex> on the name, ?usedonly, ?format=prometheus)" },
  { path: "/stats/prometheus", description: "every stat in Prometheus text format 0.0.4" },
  { path: "/clusters", description: "upstream clusters with their endpoints and health" },
  { path: "/config_dump", description: "the normalized config in force" },
  { path: "/filters", description: "Wasm filters: source, digest, state, last error" },
];

const KNOWN_PATHS = new Set(ADMIN_ENDPOINTS.map((e) => e.path));

function prettyJson(c: Context, value: unknown, status: 200 | 400 | 404 | 405 | 500 | 503 = 200): Response {
  return c.body(`${JSON.stringify(value, null, 2)}\n`, status, { "content-type": "application/json; charset=utf-8" });
}

function text(c: Context, body: string, status: 200 | 503 = 200): Response {
  return c.body(body, status, { "content-type": "text/plain; charset=utf-8" });
}

const wantsJson = (c: Context): boolean => c.req.query("format") === "json";

async function readiness(options: AdminOptions): Promise<Readiness> {
  try {
    const r = await options.readiness();
    // Ready means no reason against it, whatever the flag says.
    return { ready: r.ready && r.reasons.length === 0, reasons: r.reasons };
  } catch (err) {
    return { ready: false, reasons: [`readiness check failed: ${(err as Error)?.message ?? String(err)}`] };
  }
}

/**
 * The admin app. Callbacks run on each request, so the answers are always current.
 *
 * @example
 * ```ts
 * const admin = createAdminApp({ stats: registry, readiness: () => checkReadiness({ listeners, filters }) });
 * const res = await admin.request("/ready"); // 200 or 503
 * ```
 */
export function createAdminApp(options: AdminOptions): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    // Admin answers describe this instant; never let a proxy or browser cache them.
    c.header("cache-control", "no-store");
  });

  app.get("/", (c) => {
    if (wantsJson(c)) return prettyJson(c, { endpoints: ADMIN_ENDPOINTS });
    const width = Math.max(...ADMIN_ENDPOINTS.map((e) => e.path.length));
    return text(c, `weir admin\n\n${ADMIN_ENDPOINTS.map((e) => `  GET ${e.path.padEnd(width)}  ${e.description}`).join("\n")}\n`);
  });

  app.get("/ready", async (c) => {
    const r = await readiness(options);
    const status = r.ready ? 200 : 503;
    if (wantsJson(c)) return prettyJson(c, r, status);
    return text(c, r.ready ? "ready\n" : `not ready:\n${r.reasons.map((reason) => `  - ${reason}\n`).join("")}`, status);
  });

  app.get("/stats", (c) => {
    if (c.req.query("format") === "prometheus")
      return c.body(formatPrometheus(options.stats), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    const source = c.req.query("filter");
    let filter: RegExp | undefined;
    if (source !== undefined && source !== "") {
      try {
        filter = new RegExp(source);
      } catch (err) {
        return prettyJson(c, { error: `Cannot use filter ${JSON.stringify(source)}: ${(err as Error).message}` }, 400);
      }
    }
    const usedOnly = c.req.query("usedonly") !== undefined;
    return prettyJson(c, snapshotStats(options.stats, { filter, usedOnly }));
  });

  app.get("/stats/prometheus", (c) => c.body(formatPrometheus(options.stats), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }));

  app.get("/clusters", async (c) => prettyJson(c, { clusters: (await options.clusters?.()) ?? [] }));

  app.get("/config_dump", async (c) => prettyJson(c, (await options.configDump?.()) ?? null));

  app.get("/filters", async (c) => prettyJson(c, { filters: (await options.filters?.()) ?? [] }));

  app.notFound((c) => {
    const path = c.req.path.length > 1 ? c.req.path.replace(/\/+$/, "") : c.req.path;
    if (KNOWN_PATHS.has(path) && c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.header("allow", "GET, HEAD");
      return prettyJson(c, { error: `${c.req.method} ${path} is not allowed: the admin API is read-only (GET, HEAD)` }, 405);
    }
    return prettyJson(c, { error: `No admin endpoint ${c.req.method} ${c.req.path}; GET / lists them` }, 404);
  });

  app.onError((err, c) => prettyJson(c, { error: `${c.req.method} ${c.req.path} failed: ${err.message}` }, 500));

  return app;
}
