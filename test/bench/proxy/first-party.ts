/**
 * The four first-party filters as both benchmarks run them: each one's bench configuration
 * (read from its README / config schema), the request the load generators send, building
 * them with `buildFilterProject`, and a pre-flight check that each one loads with its config
 * and lets the bench request through — so a half-written filter is reported and left out of
 * the chain instead of turning a run into a stream of 401s or 503s.
 *
 * The chain is router → auth (API-key mode: JWT would need a fresh token per request) →
 * ratelimit (a limit it never reaches, so it does its shared-data CAS on every request) →
 * retry (on, but never triggered by the backend's 200s).
 */

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as Kit from "../../../sdk/testing/index.ts";
import { BENCH_REQUEST_BASE } from "../host-request.ts";
import { REPO_ROOT } from "./repo.ts";

export const FILTER_NAMES = ["router", "auth", "ratelimit", "retry"] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** The API key the load generators send; auth's config holds only its SHA-256. */
export const API_KEY = "weir-bench-key-0f6b9a4e6b1c4c64";
export const API_KEY_HEADER = "x-api-key";
/** The cluster the router picks (the bench backend). */
export const BENCH_CLUSTER = "backend";

/** Each filter's bench configuration (an object, sent to `proxy_on_configure` as JSON). */
export const BENCH_CONFIG: Record<FilterName, object> = {
  // Three routes, the last one matching: an exact path, a header test, then the catch-all
  // that names the cluster.
  router: {
    routes: [
      { name: "health", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" } },
      { name: "canary", match: { prefix: "/", headers: [{ name: "x-canary", exact: "true" }] }, cluster: BENCH_CLUSTER },
      { name: "default", match: { prefix: "/" }, cluster: BENCH_CLUSTER },
    ],
  },
  auth: {
    apiKeys: { header: API_KEY_HEADER, hashes: [`sha256:${createHash("sha256").update(API_KEY).digest("hex")}`] },
  },
  // One bucket per API key, a billion requests per second: never limits, always does the CAS.
  ratelimit: {
    descriptors: [{ name: "per-key", key: [{ header: API_KEY_HEADER }], limit: { requests: 1_000_000_000, per: "1s" } }],
  },
  retry: {
    retryOn: ["5xx", "reset", "connect-failure"],
    maxAttempts: 2,
  },
};

/** The request the filter benchmark drives (the load generators send `GET /` with the same key). */
export const BENCH_REQUEST: [string, string][] = [
  ...BENCH_REQUEST_BASE,
  [API_KEY_HEADER, API_KEY],
  ["x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"],
  ["cookie", "session=1234"],
];
export const BENCH_RESPONSE: [string, string][] = [
  [":status", "200"],
  ["content-type", "text/plain"],
  ["content-length", "3"],
];

export interface BuiltFilter {
  name: FilterName;
  wasmPath: string;
  /** Size of the optimized module, from its manifest. */
  size: number;
  config: object;
}

export interface FilterPreparation {
  ready: BuiltFilter[];
  /** Filters left out, with why (not written yet, does not build, does not load, rejects the bench request). */
  missing: { name: FilterName; reason: string }[];
}

/**
 * Builds each first-party filter that has a project, copies the module into `snapshotDir`
 * (the filters' authors rebuild the same `build/<name>.wasm` while the benchmark runs; the
 * copy, checked against the manifest's sha256, is what gets measured), then checks it in the
 * host (through the kit, compiled) with its bench config and request.
 */
export async function prepareFilters(kit: typeof Kit, snapshotDir: string): Promise<FilterPreparation> {
  const { buildFilterProject } = await import("../../../sdk/build/build-filter.ts");
  const out: FilterPreparation = { ready: [], missing: [] };
  await mkdir(snapshotDir, { recursive: true });
  for (const name of FILTER_NAMES) {
    const dir = join(REPO_ROOT, "filters", name);
    if (!existsSync(join(dir, "package.json"))) {
      out.missing.push({ name, reason: `not written yet (no filters/${name}/package.json)` });
      continue;
    }
    if (!existsSync(join(dir, "assembly", "index.ts"))) {
      out.missing.push({ name, reason: `not written yet (no filters/${name}/assembly/index.ts)` });
      continue;
    }
    let snapshot: BuiltFilter | undefined;
    let problem = "";
    for (let attempt = 0; attempt < 3 && !snapshot; attempt++) {
      try {
        const built = await buildFilterProject(dir);
        const bytes = await readFile(built.wasmPath);
        if (createHash("sha256").update(bytes).digest("hex") !== built.manifest.sha256) {
          problem = `build/${name}.wasm changed while it was being read (someone else is rebuilding it)`;
          continue;
        }
        const wasmPath = join(snapshotDir, `${name}.wasm`);
        await writeFile(wasmPath, bytes);
        snapshot = { name, wasmPath, size: built.manifest.size, config: BENCH_CONFIG[name] };
      } catch (err) {
        problem = `does not build: ${firstLine(err)}`;
        break;
      }
    }
    if (!snapshot) {
      out.missing.push({ name, reason: problem });
      continue;
    }
    const rejected = await preflight(kit, snapshot);
    if (rejected) out.missing.push({ name, reason: rejected });
    else out.ready.push(snapshot);
  }
  return out;
}

/** Loads the filter with its bench config and runs one bench stream; returns what went wrong, if anything. */
export async function preflight(kit: typeof Kit, filter: BuiltFilter): Promise<string | undefined> {
  let host: Kit.TestHost;
  try {
    host = await kit.createTestHost({ wasmPath: filter.wasmPath, name: filter.name, config: filter.config, logLevel: "info" });
  } catch (err) {
    return `does not load with the bench config: ${firstLine(err)}`;
  }
  try {
    const http = host.http();
    const request = http.requestHeaders(BENCH_REQUEST, { endOfStream: true });
    if (request.action !== "continue") return `stops the bench request (${describe(http, request.statusName)})`;
    const response = http.responseHeaders(BENCH_RESPONSE, { endOfStream: true });
    if (response.action !== "continue") return `stops the bench response (${describe(http, response.statusName)})`;
    http.complete();
    return undefined;
  } catch (err) {
    return `fails on the bench request: ${firstLine(err)}`;
  } finally {
    host.close();
  }
}

function describe(http: Kit.TestHttpContext, status: string): string {
  const reply = http.localResponse;
  return reply ? `local reply ${reply.status}${reply.details ? ` ${reply.details}` : ""}` : status;
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().split("\n").slice(0, 2).join(" ").slice(0, 300);
}

/** The compiled kit (`dist/sdk/testing`): the host the proxy runs, without tsx's keepNames helpers. */
export async function importKit(): Promise<typeof Kit> {
  return import(join(REPO_ROOT, "dist/sdk/testing/index.js"));
}
