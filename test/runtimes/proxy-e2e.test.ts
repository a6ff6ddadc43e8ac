/**
 * The same end-to-end suite on Node 20, Deno 2 and Bun 1: for each runtime, `weir proxy -c
 * weir.yaml` runs as a child process (Node: bin/weir.js on the built dist/; Deno and Bun:
 * proxy/runtime/<name>/main.ts) in front of a real node:http upstream, with a Wasm filter that
 * adds a request and a response header, and the suite talks to it over real sockets: proxied
 * GET and POST (small and streamed), a direct response, 404 NR, 503 UF, the admin API's
 * /ready and /stats/prometheus, a client leaving mid-request (DC, the upstream request
 * cancelled), a config reload on file change, and SIGTERM draining an in-flight request before
 * exiting 0.
 *
 *   npx tsc -p tsconfig.build.json && npx vitest run test/runtimes/proxy-e2e.test.ts
 *
 * Every wait is bounded; the proxy is killed in afterAll whatever happened.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGuestModule } from "../fixtures/proxy-wasm-wat.ts";
import {
  freePort,
  GZIP_TEXT,
  http,
  type ProxyProcess,
  type ProxyRuntime,
  startProxy,
  startUpstream,
  type Upstream,
  waitFor,
} from "./proxy-harness.ts";

const LISTENER = "e2e";
const DRAIN_MS = 3_000;

/** Adds `x-weir-filter: on` to every request and response. */
function taggingFilter(): Uint8Array {
  const add = (map: number) =>
    `(drop (call $proxy_add_header_map_value (i32.const ${map}) (i32.const 1024) (i32.const 13) (i32.const 1040) (i32.const 2))) (i32.const 0)`;
  return buildGuestModule({
    data: [`(data (i32.const 1024) "x-weir-filter")`, `(data (i32.const 1040) "on")`],
    callbacks: { proxy_on_request_headers: add(0), proxy_on_response_headers: add(2) },
  });
}

function config(ports: { proxy: number; admin: number; app: number; down: number }, directBody: string): string {
  return `# written by test/runtimes/proxy-e2e.test.ts
admin: { address: 127.0.0.1, port: ${ports.admin} }
accessLog: { format: json, path: access.log }
listeners:
  - name: ${LISTENER}
    address: 127.0.0.1
    port: ${ports.proxy}
    drainTimeout: ${DRAIN_MS}ms
    filters:
      - name: tag
        source: { file: tag.wasm }
    routes:
      - name: direct
        match: { path: /direct }
        directResponse: { status: 200, body: "${directBody}" }
      - name: down
        match: { prefix: /down }
        cluster: down
        retries: { numRetries: 0 } # a clean UF, without URX
      - name: app
        match: { prefix: /app }
        cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${ports.app}"]
  - name: down
    endpoints: ["127.0.0.1:${ports.down}"]
`;
}

describe.each<ProxyRuntime>(["node", "deno", "bun"])("weir proxy on %s", (runtime) => {
  let dir: string;
  let upstream: Upstream;
  let proxy: ProxyProcess | undefined;
  let ports: { proxy: number; admin: number; app: number; down: number };
  /** Requests sent through the listener so far (what downstream_rq_total must say). */
  let sent = 0;

  const send: typeof http = (port, path, init) => {
    if (port === ports.proxy) sent++;
    return http(port, path, init);
  };
  const why = () => `\n--- ${runtime} proxy output ---\n${proxy?.output() ?? ""}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `weir-e2e-${runtime}-`));
    writeFileSync(join(dir, "tag.wasm"), taggingFilter());
    upstream = await startUpstream({ slowMs: 800 });
    ports = { proxy: await freePort(), admin: await freePort(), app: upstream.port, down: await freePort() };
    writeFileSync(join(dir, "weir.yaml"), config(ports, "direct v1"));
    proxy = startProxy(runtime, join(dir, "weir.yaml"));
    const started = await Promise.race([
      waitFor(`${runtime} proxy /ready`, 60_000, async () =>
        (await http(ports.admin, "/ready", { timeoutMs: 2_000 })).status === 200 ? true : undefined,
      ),
      proxy.exited.then((code) => Promise.reject(new Error(`${runtime} proxy exited with ${code} before it was ready`))),
    ]).catch((err: Error) => {
      throw new Error(`${err.message}${why()}`);
    });
    expect(started).toBe(true);
  });

  afterAll(async () => {
    proxy?.kill();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("proxies a GET through the filter to the app and back", async () => {
    const before = upstream.seen.length;
    const res = await send(ports.proxy, "/app/hello?x=1", { headers: { "X-Mixed-Case": "kept" } });
    expect(res.status, why()).toBe(200);
    expect(res.text).toBe("app saw GET /app/hello?x=1");
    expect(res.headers["x-app"]).toBe("yes");
    expect(res.headers["x-weir-filter"]).toBe("on");
    expect(upstream.seen.length).toBe(before + 1);
    const seen = upstream.seen[before];
    expect(seen.headers["x-weir-filter"]).toBe("on");
    expect(seen.headers["x-mixed-case"]).toBe("kept");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers.host).toBe(`127.0.0.1:${ports.proxy}`);
  });

  it("proxies a POST body both ways, keeping its declared length", async () => {
    const before = upstream.seen.length;
    const res = await send(ports.proxy, "/app/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: "ping-pong" });
    expect(res.status, why()).toBe(200);
    expect(res.text).toBe("ping-pong");
    expect(res.headers["x-weir-filter"]).toBe("on");
    const seen = upstream.seen[before];
    expect(seen.body.toString()).toBe("ping-pong");
    expect(seen.headers["content-length"]).toBe("9");
    expect(seen.headers["x-weir-filter"]).toBe("on");
    expect(res.headers["content-length"]).toBe("9");
  });

  it("streams a 600 KiB body up and back down", async () => {
    const payload = randomBytes(600 * 1024);
    const before = upstream.seen.length;
    const res = await send(ports.proxy, "/app/echo/big", { method: "POST", body: payload, timeoutMs: 20_000 });
    expect(res.status, why()).toBe(200);
    expect(upstream.seen[before].body.equals(payload)).toBe(true);
    expect(res.body.length).toBe(payload.length);
    expect(res.body.equals(payload)).toBe(true);
  });

  // Deno's fetch decodes gzip unless asked for identity alone; whatever a runtime does, the
  // client must get a body that its headers describe.
  it.each([["gzip"], [undefined]])("delivers a gzipped response intact (accept-encoding %s)", async (accept) => {
    const res = await send(ports.proxy, "/app/gzip", { headers: accept ? { "accept-encoding": accept } : {} });
    expect(res.status, why()).toBe(200);
    const encoding = res.headers["content-encoding"];
    expect([undefined, "gzip"]).toContain(encoding);
    if (res.headers["content-length"] !== undefined) expect(Number(res.headers["content-length"])).toBe(res.body.length);
    expect((encoding === "gzip" ? gunzipSync(res.body) : res.body).toString()).toBe(GZIP_TEXT);
    if (accept === undefined) expect(encoding).toBe("gzip"); // nothing may decode what the client did not ask to be decoded
  });

  it("answers a direct response through the filter", async () => {
    const res = await send(ports.proxy, "/direct");
    expect(res.status, why()).toBe(200);
    expect(res.text).toBe("direct v1");
    expect(res.headers["x-weir-filter"]).toBe("on");
  });

  it("answers 404 with flag NR when no route matches", async () => {
    const res = await send(ports.proxy, "/nowhere");
    expect(res.status, why()).toBe(404);
    expect(res.headers["x-weir-response-flags"]).toBe("NR");
  });

  it("answers 503 with flag UF when the cluster's endpoint refuses connections", async () => {
    const res = await send(ports.proxy, "/down/x");
    expect(res.status, why()).toBe(503);
    expect(res.headers["x-weir-response-flags"]).toBe("UF");
    expect(res.text).toContain("upstream connect error");
  });

  it("reports ready and counts every request in /stats/prometheus", async () => {
    expect((await http(ports.admin, "/ready")).status).toBe(200);
    const line = `weir_http_downstream_rq_total{listener="${LISTENER}"} ${sent}`;
    // The count lands when an exchange completes, just after the client has its response.
    const text = await waitFor(`${line} in /stats/prometheus`, 5_000, async () => {
      const stats = (await http(ports.admin, "/stats/prometheus")).text;
      return stats.split("\n").includes(line) ? stats : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${why()}`);
    });
    expect(text).toContain(line);
  });

  it("writes the access log to the configured file", async () => {
    const log = await waitFor("access log lines", 5_000, async () => {
      const text = readFileSync(join(dir, "access.log"), "utf8");
      return text.includes('"route_name":"direct"') ? text : undefined;
    });
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { route_name: string; response_flags: string });
    expect(lines.some((l) => l.route_name === "app")).toBe(true);
    expect(lines.some((l) => l.response_flags === "UF")).toBe(true);
  });

  // Deno's request.signal is the only way to see a client leave before the response (its
  // `info.completed` does not settle then); with no-legacy-abort it must still abort then.
  it("cancels the upstream request of a client that leaves, and logs it with DC", async () => {
    const arrived = upstream.slowArrived();
    const cancelled = upstream.slowCancelled();
    const client = connect(ports.proxy, "127.0.0.1");
    client.on("error", () => {});
    client.write(`GET /app/slow/left HTTP/1.1\r\nhost: 127.0.0.1:${ports.proxy}\r\n\r\n`);
    sent++;
    await arrived;
    client.destroy();
    const outcome = await Promise.race([cancelled.then(() => "cancelled"), new Promise((r) => setTimeout(() => r("answered"), 700))]);
    expect(outcome, why()).toBe("cancelled");
    const line = await waitFor("the DC access log line", 5_000, async () =>
      readFileSync(join(dir, "access.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { path: string; response_flags: string })
        .find((l) => l.path === "/app/slow/left"),
    );
    expect(line.response_flags).toBe("DC");
  });

  it("reloads the config when the file changes", async () => {
    writeFileSync(join(dir, "weir.yaml"), config(ports, "direct v2"));
    const res = await waitFor("the new direct response", 10_000, async () => {
      const r = await send(ports.proxy, "/direct");
      return r.text === "direct v2" ? r : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}${why()}`);
    });
    expect(res.headers["x-weir-filter"]).toBe("on");
    expect((await http(ports.admin, "/ready")).status).toBe(200);
  });

  it("drains an in-flight request on SIGTERM, then exits 0", async () => {
    const running = proxy as ProxyProcess;
    const arrived = upstream.slowArrived();
    const inFlight = send(ports.proxy, "/app/slow");
    await arrived;
    const t0 = performance.now();
    running.child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status, why()).toBe(200);
    expect(res.text).toBe("slow done");
    const code = await Promise.race([running.exited, new Promise((r) => setTimeout(() => r("still running"), DRAIN_MS + 3_000))]);
    expect(code, why()).toBe(0);
    expect(performance.now() - t0).toBeLessThan(DRAIN_MS + 3_000);
  });
});
