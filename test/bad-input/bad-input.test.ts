/**
 * Bad input, sent raw over sockets (issue §9): request smuggling shapes, malformed framing and
 * header syntax, oversize header sections and URIs, a slow header section, a filter buffering
 * past the body limit, bad Host headers. Each must get a clear 4xx (with weir's DPE flag and
 * `connection: close`) and a clean close; nothing smuggled may reach the app; and after every
 * case the proxy still serves a normal request on another connection.
 *
 * The proxy is the real sidecar (runSidecar over the Node runtime, from a generated YAML file —
 * what `weir proxy -c` runs) in front of a real node:http app. HTTP/2 rapid reset and the
 * HTTP/2 side of these checks are in h2-rapid-reset.test.ts.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  normalRequest,
  type ProxyUnderTest,
  type RawResult,
  rawExchange,
  type SeenRequest,
  startProxy,
  startUpstream,
  type Upstream,
} from "./support.ts";

let upstream: Upstream;
let proxy: ProxyUnderTest;

beforeAll(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(upstream.port);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

const STATUS_LINE: Record<number, string> = {
  400: "HTTP/1.1 400 Bad Request",
  408: "HTTP/1.1 408 Request Timeout",
  413: "HTTP/1.1 413 Payload Too Large",
  414: "HTTP/1.1 414 URI Too Long",
  431: "HTTP/1.1 431 Request Header Fields Too Large",
};

/** A second request glued behind the first: it must never reach the app. */
const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n";

/** What reached the app since `from`, after giving in-flight attempts a moment to land. */
async function seenSince(from: number): Promise<SeenRequest[]> {
  await new Promise((r) => setTimeout(r, 50));
  return upstream.seen.slice(from);
}

/** The proxy keeps serving: a normal request on a new connection to each listener gets 200 from the app. */
async function expectStillServing(): Promise<void> {
  for (const port of [proxy.plainPort, proxy.bufferedPort]) {
    const res = await normalRequest(port, { path: "/still-serving" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("app saw GET /still-serving 0");
  }
}

/** A rejection weir wrote: the exact status line, the DPE flag, and the connection closed behind it. */
function expectRefused(r: RawResult, status: number): void {
  expect(r.statusLine, r.raw.slice(0, 300)).toBe(STATUS_LINE[status]);
  expect(r.headers["x-weir-response-flags"]).toBe("DPE");
  expect(r.headers.connection).toBe("close");
  expect(r.closed).toBe(true);
  // Exactly one response: nothing after the first one's body.
  expect(r.raw.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
}

interface Case {
  name: string;
  bytes: string;
  status: number;
  /** How many requests the app may see: 0 when the parser refuses before dispatch. */
  reachesApp?: 0 | 1;
  /** `response_code_details` in the access log, for rejections the core makes. */
  details?: string;
}

const post = (path: string, headers: string, body = "") => `POST ${path} HTTP/1.1\r\nHost: app\r\n${headers}\r\n${body}`;

/** Framing: the request-smuggling shapes (RFC 9112 §6; PortSwigger's CL.TE / TE.CL; Bun's and Http11Probe's lists). */
const FRAMING: Case[] = [
  {
    name: "Content-Length and Transfer-Encoding together (CL.TE)",
    bytes: post("/cl-te", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", `0\r\n\r\n${SMUGGLED}`),
    status: 400,
  },
  {
    name: "Transfer-Encoding and Content-Length together (TE.CL)",
    bytes: post("/te-cl", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", `8\r\nSMUGGLED\r\n0\r\n\r\n${SMUGGLED}`),
    status: 400,
  },
  {
    name: "two different Content-Length values",
    bytes: post("/two-cl", "Content-Length: 5\r\nContent-Length: 42\r\n", `hello${SMUGGLED}`),
    status: 400,
  },
  {
    name: "the same Content-Length twice (Envoy and llhttp refuse it too)",
    bytes: post("/same-cl", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello"),
    status: 400,
  },
  { name: "Content-Length: abc", bytes: post("/cl-abc", "Content-Length: abc\r\n", "abc"), status: 400 },
  { name: "Content-Length: -1", bytes: post("/cl-neg", "Content-Length: -1\r\n", SMUGGLED), status: 400 },
  {
    name: "Transfer-Encoding with a space before the colon",
    bytes: post("/te-space", "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n", `0\r\n\r\n${SMUGGLED}`),
    status: 400,
  },
  {
    name: "Transfer-Encoding whose last coding is not chunked",
    bytes: post("/te-gzip", "Transfer-Encoding: chunked, gzip\r\n", `0\r\n\r\n${SMUGGLED}`),
    status: 400,
  },
  {
    name: "invalid chunk size",
    bytes: post("/bad-chunk", "Transfer-Encoding: chunked\r\n", `zz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`),
    status: 400,
    reachesApp: 1,
  },
  {
    name: "chunk data longer than its size",
    bytes: post("/long-chunk", "Transfer-Encoding: chunked\r\n", `3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`),
    status: 400,
    reachesApp: 1,
  },
];

/** Header syntax (RFC 9110 §5.5, RFC 9112 §5.2). */
const SYNTAX: Case[] = [
  {
    name: "obs-fold (a header line continued on the next)",
    bytes: "GET /fold HTTP/1.1\r\nHost: app\r\nX-A: one\r\n two\r\n\r\n",
    status: 400,
  },
  { name: "NUL in a header value", bytes: "GET /nul HTTP/1.1\r\nHost: app\r\nX-A: o\0ne\r\n\r\n", status: 400 },
  { name: "bare CR in a header value", bytes: "GET /cr HTTP/1.1\r\nHost: app\r\nX-A: o\rne\r\n\r\n", status: 400 },
  { name: "bare LF in a header value", bytes: "GET /lf HTTP/1.1\r\nHost: app\r\nX-A: o\nne\r\n\r\n", status: 400 },
  { name: "a space inside a header name", bytes: "GET /name HTTP/1.1\r\nHost: app\r\nX A: one\r\n\r\n", status: 400 },
];

const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join("");

/** Limits (the listener's `limits`) and Host (RFC 9112 §3.2). */
const LIMITS_AND_HOST: Case[] = [
  {
    name: "101 request headers → 431",
    bytes: `GET /many HTTP/1.1\r\nHost: app\r\n${headers(100)}\r\n`,
    status: 431,
    details: "request_headers_too_many",
  },
  {
    name: "a header section over 60 KiB → 431",
    bytes: `GET /big HTTP/1.1\r\nHost: app\r\nX-Big: ${"a".repeat(61 * 1024)}\r\n\r\n`,
    status: 431,
  },
  {
    name: "many small headers adding up past 60 KiB → 431",
    bytes: `GET /big2 HTTP/1.1\r\nHost: app\r\n${Array.from({ length: 80 }, (_, i) => `X-H${i}: ${"b".repeat(800)}\r\n`).join("")}\r\n`,
    status: 431,
  },
  {
    name: "a 9000-byte URI → 414",
    bytes: `GET /${"u".repeat(8999)} HTTP/1.1\r\nHost: app\r\n\r\n`,
    status: 414,
    details: "request_uri_too_long",
  },
  { name: "HTTP/1.1 without Host", bytes: "GET /no-host HTTP/1.1\r\n\r\n", status: 400, details: "missing_host_header" },
  {
    name: "Host: bad host with spaces",
    bytes: "GET /host-spaces HTTP/1.1\r\nHost: bad host with spaces\r\n\r\n",
    status: 400,
    details: "invalid_host_header",
  },
  {
    name: "Host with userinfo",
    bytes: "GET /host-userinfo HTTP/1.1\r\nHost: user@app\r\n\r\n",
    status: 400,
    details: "invalid_host_header",
  },
  {
    name: "Host with a port past 65535",
    bytes: "GET /host-port HTTP/1.1\r\nHost: app:99999\r\n\r\n",
    status: 400,
    details: "invalid_host_header",
  },
  {
    name: "two Host headers",
    bytes: "GET /two-hosts HTTP/1.1\r\nHost: app\r\nHost: other\r\n\r\n",
    status: 400,
    details: "duplicate_host_header",
  },
];

describe("bad input gets a clear 4xx and a clean close; the proxy keeps serving", () => {
  beforeEach(async () => {
    await expectStillServing();
  });

  for (const group of [
    ["framing and request smuggling", FRAMING],
    ["header syntax", SYNTAX],
    ["limits and Host", LIMITS_AND_HOST],
  ] as const) {
    describe(group[0], () => {
      for (const c of group[1]) {
        it(`${c.name} → ${c.status}`, async () => {
          const from = upstream.seen.length;
          const r = await rawExchange(proxy.plainPort, c.bytes);
          expectRefused(r, c.status);
          const seen = await seenSince(from);
          // Never a smuggled second request; at most the (cut short) first one.
          expect(seen.some((s) => s.url.includes("smuggled"))).toBe(false);
          expect(seen.length).toBeLessThanOrEqual(c.reachesApp ?? 0);
          for (const s of seen) expect(s.complete).toBe(false);
          if (c.details !== undefined) {
            const path = /^[A-Z]+ (\S+)/.exec(c.bytes)?.[1];
            await expect
              .poll(async () => (await proxy.accessLog()).find((l) => l.path === path))
              .toMatchObject({ response_code: c.status, response_flags: "DPE", response_code_details: c.details });
          }
          await expectStillServing();
        });
      }
    });
  }

  it("exactly 100 header fields (Host included) and HTTP/1.0 without Host pass", async () => {
    const at = await rawExchange(proxy.plainPort, `GET /at-limit HTTP/1.1\r\nHost: app\r\nConnection: close\r\n${headers(98)}\r\n`);
    expect(at.statusLine).toBe("HTTP/1.1 200 OK");
    expect(at.body).toContain("app saw GET /at-limit 0");
    const old = await rawExchange(proxy.plainPort, "GET /old HTTP/1.0\r\n\r\n");
    expect(old.statusLine).toBe("HTTP/1.1 200 OK");
    expect(old.body).toContain("app saw GET /old 0");
  });

  it("a slow header section → 408 after headersTimeout, then close", async () => {
    const from = upstream.seen.length;
    // Half a header section, then silence.
    const r = await rawExchange(proxy.plainPort, "GET /slow HTTP/1.1\r\nHost: app\r\nX-A: 1\r\n", { timeoutMs: 5000 });
    expectRefused(r, 408);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(proxy.headersTimeoutMs - 50);
    expect(r.elapsedMs).toBeLessThan(proxy.headersTimeoutMs + 1500);
    expect(await seenSince(from)).toHaveLength(0);
    await expectStillServing();
  });

  it("a header section trickled byte by byte is cut at headersTimeout (slowloris)", async () => {
    const line = "GET /trickle HTTP/1.1\r\nHost: app\r\nX-Long: abcdefghijklmnopqrstuvwxyz\r\n\r\n";
    const r = await rawExchange(proxy.plainPort, line.split(""), { gapMs: 40, timeoutMs: 5000 });
    expectRefused(r, 408);
    expect(r.elapsedMs).toBeLessThan(proxy.headersTimeoutMs + 1500);
    await expectStillServing();
  });

  describe("a filter buffering the whole body", () => {
    it("under maxBufferedBody: the whole body reaches the app", async () => {
      const body = Buffer.alloc(proxy.maxBufferedBody - 1024, "a");
      const res = await normalRequest(proxy.bufferedPort, { method: "POST", path: "/small", body });
      expect(res.status).toBe(200);
      expect(res.body).toBe(`app saw POST /small ${body.byteLength}`);
    });

    for (const framing of ["content-length", "chunked"] as const) {
      it(`over maxBufferedBody (${framing}) → 413, and the app never gets a complete request`, async () => {
        const from = upstream.seen.length;
        const size = 3 * proxy.maxBufferedBody;
        const body = "b".repeat(size);
        const head =
          framing === "content-length"
            ? `POST /too-large HTTP/1.1\r\nHost: app\r\nContent-Length: ${size}\r\n\r\n`
            : "POST /too-large HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n";
        const payload = framing === "content-length" ? body : `${size.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
        const r = await rawExchange(proxy.bufferedPort, [head, payload]);
        expectRefused(r, 413);
        const seen = await seenSince(from);
        expect(seen.length).toBeLessThanOrEqual(1);
        for (const s of seen) expect(s.complete).toBe(false);
        await expect
          .poll(async () => (await proxy.accessLog()).filter((l) => l.path === "/too-large" && l.response_code === 413).length)
          .toBeGreaterThanOrEqual(framing === "content-length" ? 1 : 2);
        await expectStillServing();
      });
    }

    it("a listener without a buffering filter streams a body far past maxBufferedBody", async () => {
      const body = Buffer.alloc(16 * proxy.maxBufferedBody, "c");
      const res = await normalRequest(proxy.plainPort, { method: "POST", path: "/stream", body });
      expect(res.status).toBe(200);
      expect(res.body).toBe(`app saw POST /stream ${body.byteLength}`);
    });
  });

  it("one client sending garbage for ~1 s does not stop 50 normal requests from another", async () => {
    const garbage = [
      ...FRAMING.map((c) => c.bytes),
      ...SYNTAX.map((c) => c.bytes),
      ...LIMITS_AND_HOST.map((c) => c.bytes),
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // a TLS ClientHello on the plaintext port
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00", // an h2 preface on the HTTP/1.1 listener
      "\x00\xff\xfe garbage \r\n\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: app\r\n\r\n",
      "G\0T / HTTP/1.1\r\n\r\n",
    ];
    const until = performance.now() + 1000;
    let sent = 0;
    const statuses = new Map<number, number>();
    const attacker = async () => {
      while (performance.now() < until) {
        const r = await rawExchange(proxy.plainPort, garbage[sent++ % garbage.length], { timeoutMs: 2000 });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const results: number[] = [];
    const client = async (n: number) => {
      for (let i = 0; i < n; i++) results.push((await normalRequest(proxy.plainPort, { path: `/during-flood-${i}` })).status);
    };
    await Promise.all([attacker(), attacker(), client(10), client(10), client(10), client(10), client(10)]);
    expect(results).toHaveLength(50);
    expect(results.every((s) => s === 200)).toBe(true);
    expect(sent).toBeGreaterThan(20);
    // Every garbage connection got a 4xx or a plain close, never a 2xx or a 5xx.
    for (const status of statuses.keys()) expect(status === 0 || (status >= 400 && status < 500), `status ${status}`).toBe(true);
    expect(upstream.seen.some((s) => s.url.includes("smuggled"))).toBe(false);
    await expectStillServing();
  });
});
