/**
 * A rough throughput check of `weir proxy` on Node, Deno and Bun — not a test and not a
 * benchmark to quote, only a guard against a runtime path being pathologically slow. For each
 * runtime it starts the proxy (with the e2e suite's header-tagging Wasm filter) in front of a
 * node:http upstream in its own process, then drives keep-alive GETs from an undici Pool in
 * this process for a few seconds each: the upstream direct (baseline), a direct response
 * (proxy and filter only), and a proxied GET.
 *
 *   npx tsc -p tsconfig.build.json && npx tsx test/runtimes/proxy-bench.ts [node] [deno] [bun]
 *
 * Env: WEIR_BENCH_SECONDS (default 5), WEIR_BENCH_CONNECTIONS (default 32). Everything runs on
 * one machine, so client, proxy and upstream share its cores: compare runtimes with each
 * other, not with published numbers. On Linux it also prints the proxy process's CPU time per
 * request (user + system, from /proc), which a busy machine disturbs less than req/s.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { buildGuestModule } from "../fixtures/proxy-wasm-wat.ts";
import { freePort, http, type ProxyRuntime, startProxy, waitFor } from "./proxy-harness.ts";

const SECONDS = Number(process.env.WEIR_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.WEIR_BENCH_CONNECTIONS ?? 32);
const RUNTIMES: ProxyRuntime[] = process.argv.length > 2 ? (process.argv.slice(2) as ProxyRuntime[]) : ["node", "deno", "bun"];

const UPSTREAM = `
const { createServer } = require("node:http");
const body = Buffer.from("hello from the app\\n");
const server = createServer((req, res) => { req.resume(); res.writeHead(200, { "content-type": "text/plain", "content-length": body.length }).end(body); });
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/** CPU seconds (user + system, all threads) that process `pid` and its descendants (Node's cluster workers) have used; NaN off Linux. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined || !existsSync("/proc/self/stat")) return Number.NaN;
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1].split(" ");
      stats.set(Number(name), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100 }); // utime, stime in USER_HZ
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const family = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, s] of stats) if (!family.has(id) && family.has(s.ppid)) grew = family.add(id) !== undefined;
  }
  for (const id of family) total += stats.get(id)?.cpu ?? 0;
  return total;
}

/** Requests per second and latency percentiles of keep-alive GETs to `path` for `seconds`. */
interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the measured process per request, µs. */
  cpuUs?: number;
}

async function load(port: number, path: string, seconds: number, pid?: number): Promise<Result> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: "GET", path });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  const cpu0 = cpuSeconds(pid);
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors, cpuUs: (cpu / latencies.length) * 1e6 };
}

function format(r: Result): string {
  const cpu = Number.isNaN(r.cpuUs ?? Number.NaN) ? "" : `  cpu ${(r.cpuUs as number).toFixed(0).padStart(4)} µs/req`;
  return `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms${cpu}${r.errors ? `  ${r.errors} errors` : ""}`;
}

const upstream = spawn(process.execPath, ["-e", UPSTREAM], { stdio: ["ignore", "pipe", "inherit"] });
const upstreamPort = await new Promise<number>((resolve) =>
  upstream.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
);
const dir = mkdtempSync(join(tmpdir(), "weir-bench-"));
const add = (map: number) =>
  `(drop (call $proxy_add_header_map_value (i32.const ${map}) (i32.const 1024) (i32.const 13) (i32.const 1040) (i32.const 2))) (i32.const 0)`;
writeFileSync(
  join(dir, "tag.wasm"),
  buildGuestModule({
    data: [`(data (i32.const 1024) "x-weir-filter")`, `(data (i32.const 1040) "on")`],
    callbacks: { proxy_on_request_headers: add(0), proxy_on_response_headers: add(2) },
  }),
);

try {
  console.log(`# ${SECONDS} s per run, ${CONNECTIONS} keep-alive connections, undici client; upstream node:http`);
  await load(upstreamPort, "/", 1);
  console.log(`upstream direct         ${format(await load(upstreamPort, "/", SECONDS, upstream.pid))}`);
  for (const runtime of RUNTIMES) {
    const ports = { proxy: await freePort(), admin: await freePort() };
    writeFileSync(
      join(dir, "weir.yaml"),
      `admin: { address: 127.0.0.1, port: ${ports.admin} }
accessLog: { format: off, path: stdout }
listeners:
  - name: bench
    address: 127.0.0.1
    port: ${ports.proxy}
    filters: [{ name: tag, source: { file: tag.wasm } }]
    routes:
      - { match: { path: /direct }, directResponse: { status: 200, body: "hello from weir" } }
      - { match: { prefix: / }, cluster: app }
clusters:
  - { name: app, endpoints: ["127.0.0.1:${upstreamPort}"] }
`,
    );
    const proxy = startProxy(runtime, join(dir, "weir.yaml"));
    try {
      await waitFor(`${runtime} ready`, 60_000, async () => ((await http(ports.admin, "/ready")).status === 200 ? true : undefined));
      await load(ports.proxy, "/direct", 2); // warm-up (JIT)
      const pid = proxy.child.pid;
      console.log(`${runtime.padEnd(5)} direct response   ${format(await load(ports.proxy, "/direct", SECONDS, pid))}`);
      await load(ports.proxy, "/app", 2);
      console.log(`${runtime.padEnd(5)} proxied GET       ${format(await load(ports.proxy, "/app", SECONDS, pid))}`);
    } catch (err) {
      console.log(`${runtime}: ${(err as Error).message}\n${proxy.output()}`);
    } finally {
      proxy.kill();
      await proxy.exited;
    }
  }
} finally {
  upstream.kill();
  rmSync(dir, { recursive: true, force: true });
}
