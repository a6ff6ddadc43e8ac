/**
 * The request path end to end on Node over real sockets: a real upstream server, the proxy's
 * node:http listener, a Wasm filter, undici to the upstream; host-side retries, local errors
 * with response flags, and header case toward the app.
 */

import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGuestModule } from "../../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, type Filter } from "../../abi/index.ts";
import { type ExchangeRecord, FLAGS_HEADER, handleRequest } from "../../core/http/proxy-stream.ts";
import type { RouteDecision, Router, Upstreams } from "../../core/http/routing-types.ts";
import { UpstreamError } from "../../core/http/types.ts";
import { listenNode, type NodeListener } from "./http-server.ts";
import { createUndiciClient, type EndpointClient } from "./upstream.ts";

let upstream: Server;
let upstreamPort: number;
const seen: IncomingMessage[] = [];
let failFirst = 0;

function startUpstream(): Promise<void> {
  upstream = createServer((req, res) => {
    seen.push(req);
    if ((req.url === "/flaky" || req.url === "/filter-flaky") && failFirst > 0) {
      failFirst--;
      res.writeHead(503).end("busy");
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () =>
      res.writeHead(200, { "content-type": "text/plain", "x-app": "yes" }).end(`app saw ${req.method} ${req.url} ${body}`),
    );
  });
  return new Promise((r) => upstream.listen(0, "127.0.0.1", () => r()));
}

function fetchRaw(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("proxy request path on Node", () => {
  let listener: NodeListener;
  let filter: Filter;
  let retrier: Filter;
  let client: EndpointClient;
  const records: ExchangeRecord[] = [];

  beforeAll(async () => {
    await startUpstream();
    upstreamPort = (upstream.address() as AddressInfo).port;
    filter = await createHost({ logger: () => {} }).loadFilter({
      name: "tag",
      module: buildGuestModule({
        data: [`(data (i32.const 1024) "x-weir-filter")`, `(data (i32.const 1040) "on")`],
        callbacks: {
          proxy_on_request_headers:
            "(drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 1024) (i32.const 13) (i32.const 1040) (i32.const 2))) (i32.const 0)",
          proxy_on_response_headers:
            "(drop (call $proxy_add_header_map_value (i32.const 2) (i32.const 1024) (i32.const 13) (i32.const 1040) (i32.const 2))) (i32.const 0)",
        },
      }),
    });
    // Asks weir for another attempt (weir.retry) when the upstream answers 503, while weir accepts.
    retrier = await createHost({ logger: () => {} }).loadFilter({
      name: "retrier",
      module: buildGuestModule({
        data: [`(data (i32.const 1100) ":status")`, `(data (i32.const 1120) "weir.retry")`],
        callbacks: {
          proxy_on_response_headers: `(local $p i32)
            (if (i32.eqz (call $proxy_get_header_map_value (i32.const 2) (i32.const 1100) (i32.const 7) (i32.const 256) (i32.const 260)))
              (then
                (local.set $p (i32.load (i32.const 256)))
                (if (i32.and (i32.eq (i32.load (i32.const 260)) (i32.const 3))
                      (i32.and (i32.eq (i32.load8_u (local.get $p)) (i32.const 53)) (i32.eq (i32.load8_u offset=2 (local.get $p)) (i32.const 51))))
                  (then
                    (if (i32.eqz (call $proxy_call_foreign_function (i32.const 1120) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 264) (i32.const 268)))
                      (then (if (i32.eq (i32.load8_u (i32.load (i32.const 264))) (i32.const 1)) (then (return (i32.const 1))))))))))
            (i32.const 0)`,
        },
      }),
    });
    client = createUndiciClient(`127.0.0.1:${upstreamPort}`);
    const down = createUndiciClient("127.0.0.1:1"); // nothing listens on port 1
    const router: Router = {
      route(headers): RouteDecision {
        const path = headers.get(":path") ?? "/";
        if (path.startsWith("/nowhere")) return { kind: "none" };
        if (path.startsWith("/down"))
          return { kind: "forward", route: { name: "down", cluster: "down", timeoutMs: 2000, perTryTimeoutMs: 0, retry: undefined } };
        const retry = {
          retryOn: new Set(["5xx"]),
          numRetries: 2,
          retriableStatusCodes: [],
          idempotentOnly: true,
          backoffBaseMs: 1,
          backoffMaxMs: 2,
        };
        return { kind: "forward", route: { name: "app", cluster: "app", timeoutMs: 5000, perTryTimeoutMs: 0, retry } };
      },
    };
    const upstreams: Upstreams = {
      has: (c) => c === "app" || c === "down",
      send: (c, req) => (c === "app" ? client : down).send(req).catch((e) => Promise.reject(e instanceof UpstreamError ? e : e)),
    };
    listener = await listenNode({
      host: "127.0.0.1",
      port: 0,
      handler: (req) =>
        handleRequest(req, {
          filters: [filter, retrier],
          router,
          upstreams,
          now: () => performance.now(),
          setTimeout: (fn, ms) => setTimeout(fn, ms),
          clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
          random: Math.random,
          onComplete: (r) => records.push(r),
        }),
    });
  });

  afterAll(async () => {
    await listener.close();
    await client.close();
    await new Promise((r) => upstream.close(r));
  });

  it("proxies a request through the filter to the app and back", async () => {
    const res = await fetchRaw(listener.port, "/hello?x=1", { method: "POST", headers: { "X-Mixed-Case": "kept" }, body: "ping" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("app saw POST /hello?x=1 ping");
    expect(res.headers["x-app"]).toBe("yes");
    expect(res.headers["x-weir-filter"]).toBe("on");
    const last = seen.at(-1) as IncomingMessage;
    expect(last.headers["x-weir-filter"]).toBe("on");
    expect(last.rawHeaders).toContain("X-Mixed-Case");
    expect(last.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 404 with flag NR when no route matches, through the filter's response path", async () => {
    const res = await fetchRaw(listener.port, "/nowhere");
    expect(res.status).toBe(404);
    expect(res.headers[FLAGS_HEADER]).toBe("NR");
    expect(res.headers["x-weir-filter"]).toBe("on");
  });

  it("answers 503 with flag UF when the upstream refuses connections (URX: the retry filter gave up)", async () => {
    const res = await fetchRaw(listener.port, "/down");
    expect(res.status).toBe(503);
    // The retrier filter asks for another attempt on every 503, up to weir's limit of 5 attempts.
    expect(res.headers[FLAGS_HEADER]).toBe("UF,URX");
    expect(records.at(-1)?.attempts).toBe(5);
    expect(res.body).toContain("upstream connect error");
  });

  it("retries a 503 from the app and delivers the success", async () => {
    failFirst = 2;
    const before = seen.length;
    const res = await fetchRaw(listener.port, "/flaky");
    expect(res.status).toBe(200);
    expect(seen.length - before).toBe(3);
    expect(records.at(-1)?.attempts).toBe(3);
  });

  it("makes another attempt when a filter asks with weir.retry, the filters seeing only the last response", async () => {
    failFirst = 2;
    const before = seen.length;
    const res = await fetchRaw(listener.port, "/filter-flaky");
    expect(res.status).toBe(200);
    expect(res.body).toBe("app saw GET /filter-flaky ");
    expect(seen.length - before).toBe(3);
    expect(records.at(-1)?.attempts).toBe(3);
    // The response filter ran on the final response only once: one header, not three.
    expect(res.headers["x-weir-filter"]).toBe("on");
  });

  it("stops honouring weir.retry after 5 attempts and passes the last answer with URX", async () => {
    failFirst = 10;
    const before = seen.length;
    const res = await fetchRaw(listener.port, "/filter-flaky");
    expect(res.status).toBe(503);
    expect(seen.length - before).toBe(5);
    expect(res.headers[FLAGS_HEADER]).toBe("URX");
    failFirst = 0;
  });

  it("gives up after the retry limit with flag URX and the last upstream answer", async () => {
    failFirst = 5;
    const res = await fetchRaw(listener.port, "/flaky");
    expect(res.status).toBe(503);
    expect(res.headers[FLAGS_HEADER]).toBe("URX");
    failFirst = 0;
  });
});
