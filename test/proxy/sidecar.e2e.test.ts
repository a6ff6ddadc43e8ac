/**
 * The sidecar as users run it, over real sockets: weir.yaml with a filter chain and
 * per-route overrides, the admin API, hot reload (applied, and refused with the old config
 * serving), and SIGTERM draining an in-flight request before exiting 0.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSidecar, type Sidecar } from "../../proxy/core/sidecar.ts";
import { createNodeRuntime, watchFile } from "../../proxy/runtime/node/runtime.ts";
import { buildGuestModule } from "../fixtures/proxy-wasm-wat.ts";

async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** Adds `x-tag: <its plugin config>` to requests. */
const TAGGER = buildGuestModule({
  data: [`(data (i32.const 1024) "x-tag")`],
  callbacks: {
    proxy_on_configure:
      "(drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $1) (i32.const 300) (i32.const 304))) (i32.const 1)",
    proxy_on_request_headers:
      "(drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 1024) (i32.const 5) (i32.load (i32.const 300)) (i32.load (i32.const 304)))) (i32.const 0)",
  },
});

const config = (p: { listen: number; admin: number; app: number; body: string }) => `
admin: { address: 127.0.0.1:${p.admin} }
accessLog: off
listeners:
  - name: inbound
    address: 127.0.0.1
    port: ${p.listen}
    drainTimeout: 5s
    filters:
      - name: tagger
        source: { file: ./tagger.wasm }
        config: everywhere
    routes:
      - match: { prefix: /direct }
        directResponse: { status: 200, body: "${p.body}" }
      - match: { prefix: /plain }
        cluster: app
        filters: { tagger: disabled }
      - match: { prefix: /special }
        cluster: app
        filters: { tagger: { config: special } }
      - match: { prefix: / }
        cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${p.app}"]
`;

let app: Server;
let appPort: number;
let dir: string;

beforeAll(async () => {
  app = createServer((req, res) => {
    const delay = req.url?.startsWith("/slow") ? 600 : 0;
    setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end(`tag=${req.headers["x-tag"] ?? "none"}`), delay);
  });
  app.listen(0, "127.0.0.1");
  await once(app, "listening");
  appPort = (app.address() as AddressInfo).port;
  dir = await mkdtemp(join(tmpdir(), "weir-sidecar-"));
  await writeFile(join(dir, "tagger.wasm"), TAGGER);
});

afterAll(() => new Promise((r) => app.close(r)));

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

describe("weir sidecar", () => {
  let sidecar: Sidecar;
  let ports: { listen: number; admin: number; app: number; body: string };
  const file = () => join(dir, "weir.yaml");

  beforeAll(async () => {
    ports = { listen: await freePort(), admin: await freePort(), app: appPort, body: "v1" };
    await writeFile(file(), config(ports));
    sidecar = await runSidecar(createNodeRuntime({ baseDir: dir }), {
      configPath: file(),
      baseDir: dir,
      readTextFile: (p) => readFile(p, "utf8"),
      watch: watchFile,
      logger: () => {},
    });
  });
  afterAll(() => sidecar.shutdown());

  it("runs the chain on every route, except where a route disables it or overrides its config", async () => {
    expect(await get(ports.listen, "/anything")).toEqual({ status: 200, body: "tag=everywhere" });
    expect(await get(ports.listen, "/plain")).toEqual({ status: 200, body: "tag=none" });
    expect(await get(ports.listen, "/special")).toEqual({ status: 200, body: "tag=special" });
  });

  it("serves the admin API: ready, stats, filters, clusters", async () => {
    expect((await get(ports.admin, "/ready")).status).toBe(200);
    const prom = (await get(ports.admin, "/stats/prometheus")).body;
    expect(prom).toMatch(/weir_http_downstream_rq_total\{listener="inbound"\} [1-9]/);
    expect(prom).toMatch(/weir_filter_streams_total\{filter="tagger",listener="inbound"\} [1-9]/);
    expect(prom).toMatch(/weir_filter_traps_total\{filter="tagger",listener="inbound",kind="fuel"\} 0/);
    const filters = JSON.parse((await get(ports.admin, "/filters")).body);
    expect(JSON.stringify(filters)).toMatch(/"name":"tagger".*"state":"ready"/);
    expect((await get(ports.admin, "/clusters")).body).toContain(`127.0.0.1`);
  });

  it("applies a changed config without a restart, and keeps serving when a change is invalid", async () => {
    await writeFile(file(), config({ ...ports, body: "v2" }));
    await until(async () => (await get(ports.listen, "/direct")).body === "v2");
    await writeFile(file(), `${config({ ...ports, body: "v3" })}\nbogus_field: 1\n`);
    await until(async () => (await get(ports.admin, "/config_dump")).body.includes("bogus_field"));
    expect((await get(ports.listen, "/direct")).body).toBe("v2");
    expect((await get(ports.admin, "/ready")).status).toBe(200);
  });
});

describe("weir proxy (process)", () => {
  it("drains on SIGTERM: an in-flight request completes, then the process exits 0", async () => {
    const ports = { listen: await freePort(), admin: await freePort(), app: appPort, body: "x" };
    await writeFile(join(dir, "drain.yaml"), config(ports));
    const child: ChildProcess = spawn(process.execPath, ["bin/weir.js", "proxy", "-c", join(dir, "drain.yaml"), "--no-watch"], {
      stdio: "pipe",
    });
    try {
      await until(async () => (await get(ports.admin, "/ready").catch(() => ({ status: 0 }))).status === 200, 15_000);
      const inFlight = get(ports.listen, "/slow");
      await new Promise((r) => setTimeout(r, 150));
      child.kill("SIGTERM");
      expect(await inFlight).toEqual({ status: 200, body: "tag=everywhere" });
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
