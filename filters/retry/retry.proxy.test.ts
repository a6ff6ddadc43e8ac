/**
 * The retry filter in weir's real request path — `handleRequest` (ProxyStream and FilterChain)
 * with an in-memory upstream that answers from a script — so the contract between the filter
 * and the proxy's `weir.retry` handling is checked end to end: the discarded responses, the
 * attempts, the flags the filter reads, what the upstream receives.
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHost, type Filter, HeaderMap } from "../../proxy/abi/index.ts";
import { type ExchangeRecord, FLAGS_HEADER, handleRequest } from "../../proxy/core/http/proxy-stream.ts";
import type { RoutePolicy, Upstreams } from "../../proxy/core/http/routing-types.ts";
import { type DownstreamRequest, type ProxyResponse, UpstreamError, type UpstreamRequest } from "../../proxy/core/http/types.ts";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";

let module: Uint8Array;
const open: Filter[] = [];

beforeAll(async () => {
  const { readFile } = await import("node:fs/promises");
  const built = await buildFilterProject(dirname(fileURLToPath(import.meta.url)));
  module = new Uint8Array(await readFile(built.wasmPath));
}, 180_000);

afterEach(() => {
  for (const filter of open.splice(0)) filter.close(); // stops the filter's tick timer
});

/** One scripted upstream answer: a status, or a failure before response headers. */
type Answer = number | UpstreamError;

const ROUTE: RoutePolicy = { name: "orders", cluster: "orders", timeoutMs: 0, perTryTimeoutMs: 0, retry: undefined };

/** Sends one request through the filter; the upstream answers from `script`, one answer per attempt. */
async function exchange(config: object, script: Answer[], method = "GET") {
  const host = createHost({ logger: () => {} });
  const filter = await host.loadFilter({
    name: "retry",
    module,
    config: JSON.stringify({ backoff: { baseMs: 1, maxMs: 1 }, ...config }), // delays of 0 ms
    capabilities: { foreignFunctions: ["weir.retry"] },
  });
  open.push(filter);
  const sent: UpstreamRequest[] = [];
  const upstreams: Upstreams = {
    has: () => true,
    send: async (_cluster, request) => {
      sent.push(request);
      const answer = script.shift() ?? 200;
      if (answer instanceof UpstreamError) throw answer;
      return { status: answer, headers: [], body: null, trailers: () => undefined, endpoint: "10.0.0.1:8080" };
    },
    acquireRetry: () => () => {},
  };
  const records: ExchangeRecord[] = [];
  const request: DownstreamRequest = {
    method,
    path: "/orders/7",
    authority: "orders",
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: new HeaderMap(),
    body: null,
    remoteAddress: "10.0.0.9",
    remotePort: 50000,
    localAddress: "10.0.0.2",
    localPort: 15001,
    signal: new AbortController().signal,
  };
  const response: ProxyResponse = await handleRequest(request, {
    filters: [filter],
    router: { route: () => ({ kind: "forward", route: ROUTE }) },
    upstreams,
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    random: Math.random,
    onComplete: (record) => records.push(record),
  });
  const metric = (name: string) => host.state.metrics.find(name)?.value ?? 0;
  return { response, record: records[0], sent, metric };
}

const header = (request: UpstreamRequest, name: string) => request.headers.find(([n]) => n === name)?.[1];

describe("retry filter in weir's request path", () => {
  it("turns 503, 503, 200 into one 200 after three attempts", async () => {
    const { response, record, sent, metric } = await exchange({}, [503, 503, 200]);
    expect(response.status).toBe(200);
    expect(record.attempts).toBe(3);
    expect(metric("cause.gateway-error.retry_attempts")).toBe(2);
    expect(metric("attempt.3.retry_success_after_retry")).toBe(1);
    // The request callbacks run once; weir rewrites the filter's attempt header for each attempt.
    expect(sent.map((r) => header(r, "x-weir-attempt"))).toEqual(["1", "2", "3"]);
  });

  it("retries weir's own reply to a connect failure, read from the response.flags property", async () => {
    const { response, record, metric } = await exchange({ retryOn: ["connect-failure"] }, [new UpstreamError("UF", "refused"), 200]);
    expect(response.status).toBe(200);
    expect(record.attempts).toBe(2);
    expect(record.flags).toEqual([]); // the failed attempt's UF is dropped with its reply
    expect(metric("cause.connect-failure.retry_attempts")).toBe(1);
  });

  it("lets the last failure reach the client at maxAttempts", async () => {
    const { response, record, metric } = await exchange({ maxAttempts: 2 }, [503, 503, 200]);
    expect(response.status).toBe(503);
    expect(response.headers.get(FLAGS_HEADER)).toBeUndefined();
    expect(record.attempts).toBe(2);
    expect(metric("reason.max_attempts.retry_given_up")).toBe(1);
  });

  it("does not retry a POST", async () => {
    const { response, record, metric } = await exchange({}, [503, 200], "POST");
    expect(response.status).toBe(503);
    expect(record.attempts).toBe(1);
    expect(metric("reason.method.retry_given_up")).toBe(1);
  });
});
