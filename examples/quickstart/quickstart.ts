/**
 * `npm start`: the quickstart. Builds the four first-party filters, starts the demo app on
 * 127.0.0.1:10001 and weir in front of it on 127.0.0.1:10000 (router → auth → ratelimit →
 * retry), with the admin API on 127.0.0.1:9901, and prints curl commands to try.
 */

import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { runSidecar, type Sidecar } from "../../proxy/core/sidecar.ts";
import { createNodeRuntime } from "../../proxy/runtime/node/runtime.ts";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";
import { WEIR_ROOT } from "../../sdk/build/weir-root.ts";
import { startApp } from "./app.ts";

export const DEMO_API_KEY = "demo-key";
const FILTERS = ["router", "auth", "ratelimit", "retry"] as const;

export interface QuickstartOptions {
  port?: number;
  appPort?: number;
  adminPort?: number;
  /** Access log format (default text to stdout; "off" in tests). */
  accessLog?: "text" | "json" | "off";
  log?: (line: string) => void;
}

export interface Quickstart {
  port: number;
  appPort: number;
  adminPort: number;
  sidecar: Sidecar;
  app: Server;
  commands: string[];
  stop(): Promise<void>;
}

export function quickstartConfig(
  p: { port: number; appPort: number; adminPort: number; accessLog: string },
  wasm: Record<string, string>,
): string {
  const keyHash = createHash("sha256").update(DEMO_API_KEY).digest("hex");
  return `# The quickstart's sidecar (written by examples/quickstart/quickstart.ts).
admin: { address: 127.0.0.1:${p.adminPort} }
workers: 1
accessLog: ${p.accessLog}
listeners:
  - name: quickstart
    address: 127.0.0.1
    port: ${p.port}
    filters:
      - name: router
        source: { file: ${wasm.router} }
        config: { routes: [{ name: api, match: { prefix: /api/ }, cluster: app }] }
      - name: auth
        source: { file: ${wasm.auth} }
        config:
          apiKeys: { header: x-api-key, hashes: ["sha256:${keyHash}"] }
          rules: [{ prefix: /healthz, require: none }]
      - name: ratelimit
        source: { file: ${wasm.ratelimit} }
        config: { descriptors: [{ name: per-key, key: [{ header: x-api-key }], limit: { requests: 5, per: 1m } }] }
      - name: retry
        source: { file: ${wasm.retry} }
        config: { maxAttempts: 3 }
    routes:
      - match: { prefix: / }
        cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${p.appPort}"]
`;
}

export async function startQuickstart(options: QuickstartOptions = {}): Promise<Quickstart> {
  const log = options.log ?? console.log;
  const port = options.port ?? 10000;
  const adminPort = options.adminPort ?? 9901;
  const wasm: Record<string, string> = {};
  for (const name of FILTERS) {
    const built = await buildFilterProject(join(WEIR_ROOT, "filters", name));
    wasm[name] = built.wasmPath;
    log(`  built filters/${name} (${(built.manifest.size / 1024).toFixed(1)} KiB${built.cached ? ", cached" : ""})`);
  }
  const app = await startApp(options.appPort ?? 10001);
  const dir = join(WEIR_ROOT, "node_modules", ".cache", "weir-quickstart");
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, "weir.yaml");
  await writeFile(configPath, quickstartConfig({ port, appPort: app.port, adminPort, accessLog: options.accessLog ?? "text" }, wasm));
  let sidecar: Sidecar;
  try {
    sidecar = await runSidecar(createNodeRuntime({ baseDir: dir }), {
      configPath,
      baseDir: dir,
      readTextFile: (p) => readFile(p, "utf8"),
      logger: (e) => log(`  [${e.level}] ${e.filter === "-" ? "" : `${e.filter}: `}${e.message}`),
    });
  } catch (err) {
    app.server.close();
    throw err;
  }
  const base = `http://127.0.0.1:${sidecar.proxy.ports.quickstart}`;
  const commands = [
    `curl -i ${base}/api/hello -H 'x-api-key: ${DEMO_API_KEY}'              # allowed: 200 from the app`,
    `curl -i ${base}/api/hello                                          # no key: 401 with WWW-Authenticate`,
    `for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' ${base}/api/hello -H 'x-api-key: ${DEMO_API_KEY}'; done; echo   # 5 per minute: then 429`,
    `curl -i ${base}/api/flaky -H 'x-api-key: other-key'               # 401: unknown key`,
    `curl -i ${base}/api/flaky -H 'x-api-key: ${DEMO_API_KEY}'              # the app answers 503 first; the retry filter retries: 200, attempt 2`,
    `curl -s http://127.0.0.1:${sidecar.admin.port}/stats/prometheus | grep weir_http   # the admin API`,
  ];
  return {
    port: sidecar.proxy.ports.quickstart,
    appPort: app.port,
    adminPort: sidecar.admin.port,
    sidecar,
    app: app.server,
    commands,
    async stop() {
      await sidecar.shutdown();
      await new Promise((resolve) => app.server.close(resolve));
    },
  };
}
