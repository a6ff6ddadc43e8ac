/**
 * `workers: 2` for real: `node bin/weir.js proxy -c weir.yaml` as a child process (the compiled
 * CLI, built here first), a node:cluster primary with two workers on one port. Both workers
 * serve, the primary's admin API sums their stats, SIGHUP reloads both, SIGTERM drains both and
 * the primary exits 0.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A new connection each time, so node:cluster's round robin spreads them over the workers.
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

let dir: string;
let app: Server;
let child: ChildProcess;
let output = "";
let listenerPort: number;
let adminPort: number;

function waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(output);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m);
      }
    };
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    check();
  });
}

beforeAll(async () => {
  // The CLI runs the compiled code: build it from the sources under test.
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], {
    cwd: ROOT,
    stdio: "ignore",
  });
  dir = mkdtempSync(join(tmpdir(), "weir-workers-"));
  app = createServer((req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(`app saw ${req.url}`));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  listenerPort = await freePort();
  adminPort = await freePort();
  writeFileSync(
    join(dir, "weir.yaml"),
    `
admin: { address: 127.0.0.1, port: ${adminPort} }
workers: 2
accessLog: off
listeners:
  - name: inbound
    address: 127.0.0.1
    port: ${listenerPort}
    drainTimeout: 2s
    routes:
      - cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${(app.address() as AddressInfo).port}"]
`,
  );
  child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "proxy", "-c", join(dir, "weir.yaml"), "--no-watch"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => (output += c));
  child.stderr?.on("data", (c) => (output += c));
  await waitFor(/2 workers serving \(pids (\d+), (\d+)\)/);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await new Promise((r) => app?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("workers: 2 on Node (node:cluster)", () => {
  it("serves from both workers on the one port; the primary's admin API sums them", async () => {
    const [, pid1, pid2] = await waitFor(/2 workers serving \(pids (\d+), (\d+)\)/);
    expect(pid1).not.toBe(pid2);
    // Each worker logs its own listening line.
    expect(output.match(/listening: inbound=\d+/g)?.length).toBe(2);
    for (let i = 0; i < 20; i++) {
      const res = await get(listenerPort, `/r${i}`);
      expect(res.status).toBe(200);
      expect(res.body).toBe(`app saw /r${i}`);
    }
    const workers = JSON.parse((await get(adminPort, "/workers")).body) as {
      workers: { index: number; pid: number; state: string; requests: number }[];
    };
    expect(workers.workers.map((w) => w.state)).toEqual(["serving", "serving"]);
    expect(workers.workers.map((w) => String(w.pid)).sort()).toEqual([pid1, pid2].sort());
    for (const w of workers.workers) expect(w.requests).toBeGreaterThan(0);
    expect(workers.workers.reduce((n, w) => n + w.requests, 0)).toBe(20);

    const stats = JSON.parse((await get(adminPort, "/stats?filter=downstream_rq_total")).body);
    expect(JSON.stringify(stats)).toContain("20");
    const prometheus = (await get(adminPort, "/stats/prometheus")).body;
    expect(prometheus).toMatch(/weir_http_downstream_rq_total\{listener="inbound"\} 20\b/);
    expect(prometheus).toMatch(/weir_server_workers 2\b/);
    const ready = await get(adminPort, "/ready");
    expect(ready.status).toBe(200);
    const clusters = JSON.parse((await get(adminPort, "/clusters")).body) as { clusters: { name: string }[] };
    expect(clusters.clusters.map((c) => c.name)).toEqual(["app"]);
  });

  it("SIGHUP to the primary reloads every worker", async () => {
    const before = output.match(/config reloaded/g)?.length ?? 0;
    child.kill("SIGHUP");
    await waitFor(new RegExp(`(?:config reloaded[\\s\\S]*){${before + 2}}`));
    expect((await get(listenerPort, "/after-reload")).status).toBe(200);
  });

  it("SIGTERM drains every worker and the primary exits 0", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("draining 2 workers");
    await expect(get(listenerPort, "/gone")).rejects.toThrow();
  });
});
