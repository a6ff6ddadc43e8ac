/**
 * The Node listener end to end over real sockets on 127.0.0.1: the proxy (config, router,
 * clusters, undici upstreams) in front of an HTTP/1.1 app. HTTP/1.1 and h2c prior knowledge on
 * one port, TLS with ALPN h2 and http/1.1, bodies streamed, header case kept toward the app,
 * keep-alive, WebSocket through the proxy, absolute-form and CONNECT on an http-proxy
 * listener, HTTP/2 upstreams, a drain, and rapid-reset protection.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { type ClientHttp2Session, createServer as createH2Server, connect as h2connect, constants as h2constants } from "node:http2";
import { request as httpsRequest } from "node:https";
import { type AddressInfo, createServer as createNetServer, connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HeaderMap } from "../../abi/header-map.ts";
import { parseConfig } from "../../core/config/load.ts";
import { WeirProxy } from "../../core/proxy.ts";
import { listen } from "./listener.ts";
import { createNodeRuntime } from "./runtime.ts";

// ---- helpers -------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for localhost / 127.0.0.1, valid one day. */
function makeCert(dir: string): { cert: string; key: string } {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days",
      "1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function h1(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

function h2(session: ClientHttp2Session, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<Reply & { trailers: Record<string, unknown> }>((resolve, reject) => {
    const stream = session.request(
      { ":path": path, ":method": init.method ?? "GET", ...init.headers },
      { endStream: init.body === undefined },
    );
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    let trailers: Record<string, unknown> = {};
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h as Record<string, string>;
    });
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c) => (body += c));
    stream.on("end", () => resolve({ status, headers, body, trailers }));
    stream.on("error", reject);
    if (init.body !== undefined) stream.end(init.body);
  });
}

// A minimal WebSocket (RFC 6455) codec: single-frame text messages, enough for an echo.
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
function wsFrame(text: string, mask: boolean): Buffer {
  const payload = Buffer.from(text);
  const head = [0x81, (mask ? 0x80 : 0) | payload.length];
  if (payload.length > 125) throw new Error("keep test frames short");
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from(head), key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]))]);
}
function wsParse(buf: Buffer): { text: string; rest: Buffer } | undefined {
  if (buf.length < 2) return undefined;
  const masked = (buf[1] & 0x80) !== 0;
  const len = buf[1] & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + len) return undefined;
  let payload = buf.subarray(start, start + len);
  if (masked) {
    const key = buf.subarray(2, 6);
    payload = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  }
  return { text: payload.toString(), rest: buf.subarray(start + len) };
}

// ---- the app and the proxy -----------------------------------------------------------------------

let app: Server;
let appPort: number;
let h2app: Server | ReturnType<typeof createH2Server>;
let h2appPort: number;
const seen: IncomingMessage[] = [];
/** The app's side of each WebSocket connection. */
const appTunnels: Duplex[] = [];
let releaseStream: (() => void) | undefined;
/** Bytes the app has handed its socket for `/big` (it honours backpressure). */
let bigWritten = 0;
const BIG_BYTES = 64 * 1024 * 1024;
let proxy: WeirProxy;
let ports: { main: number; tls: number; egress: number; h1only: number };
let tlsMaterial: { cert: string; key: string } | undefined;
let dir: string;

function startApp(): Promise<void> {
  app = createServer((req, res) => {
    seen.push(req);
    if (req.url === "/stream") {
      // The first chunk must reach the client before the app ends the response.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      releaseStream = () => res.end("second");
      return;
    }
    if (req.url === "/big") {
      // As fast as the socket takes it, stopping whenever it is full.
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(BIG_BYTES) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      bigWritten = 0;
      const pump = () => {
        while (bigWritten < BIG_BYTES) {
          bigWritten += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === "/trailers") {
      res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
      res.write("body");
      res.addTrailers({ "x-checksum": "abc123" });
      res.end();
      return;
    }
    let length = 0;
    req.on("data", (c: Buffer) => (length += c.length));
    req.on("end", () =>
      res
        .writeHead(200, { "content-type": "text/plain", "x-app": "yes" })
        .end(`app saw ${req.method} ${req.url} host=${req.headers.host} bytes=${length} proto=${req.headers["x-forwarded-proto"]}`),
    );
  });
  // WebSocket echo: answers the handshake, then echoes each text frame back upper-cased.
  app.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push(req);
    if (req.headers.upgrade?.toLowerCase() !== "websocket") {
      socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    if (req.url === "/ws-refused") {
      socket.end("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 6\r\nconnection: close\r\n\r\nno ws\n");
      return;
    }
    appTunnels.push(socket);
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}${WS_GUID}`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let buf = head;
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let m = wsParse(buf); m !== undefined; m = wsParse(buf)) {
        buf = m.rest;
        socket.write(wsFrame(m.text.toUpperCase(), false));
      }
    };
    socket.on("data", onData);
    socket.on("end", () => socket.end()); // upgraded sockets are half-open: close ours when the peer closes
    if (head.length > 0) onData(Buffer.alloc(0));
  });
  return new Promise((r) => app.listen(0, "127.0.0.1", () => r()));
}

function config(): string {
  const tls = tlsMaterial
    ? `
  - name: secure
    address: 127.0.0.1
    port: ${ports.tls}
    tls: { cert: cert.pem, key: key.pem }
    routes:
      - cluster: app`
    : "";
  return `
admin: { address: 127.0.0.1, port: ${ports.main + 1} }
workers: 1
accessLog: off
listeners:
  - name: main
    address: 127.0.0.1
    port: ${ports.main}
    routes:
      - name: h2up
        match: { prefix: /h2up }
        cluster: h2app
      - cluster: app
  - name: h1only
    address: 127.0.0.1
    port: ${ports.h1only}
    protocol: http1
    routes:
      - cluster: app${tls}
  - name: egress
    direction: http-proxy
    port: ${ports.egress}
    virtualHosts:
      - name: orders
        domains: [orders.svc, "orders.svc:${appPort}", "orders.svc:443"]
        routes:
          - cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${appPort}"]
  - name: h2app
    protocol: http2
    endpoints: ["127.0.0.1:${h2appPort}"]
`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "weir-listener-"));
  if (hasOpenssl()) tlsMaterial = makeCert(dir);
  await startApp();
  appPort = (app.address() as AddressInfo).port;
  // An h2c-only upstream, for `protocol: http2` clusters.
  h2app = createH2Server((req, res) =>
    res.writeHead(200, { "content-type": "text/plain" }).end(`h2 app saw ${req.httpVersion} ${req.url}`),
  );
  await new Promise<void>((r) => h2app.listen(0, "127.0.0.1", r));
  h2appPort = (h2app.address() as AddressInfo).port;
  ports = { main: await freePort(), tls: await freePort(), egress: await freePort(), h1only: await freePort() };
  writeFileSync(join(dir, "weir.yaml"), config());
  proxy = await WeirProxy.start(parseConfig(config()), createNodeRuntime({ baseDir: dir, cacheDir: join(dir, "cache") }), { baseDir: dir });
});

afterAll(async () => {
  await proxy?.close(0);
  app?.closeAllConnections();
  for (const s of appTunnels) s.destroy();
  await new Promise((r) => app?.close(r));
  await new Promise((r) => h2app?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

// ---- tests ---------------------------------------------------------------------------------------

describe("one cleartext port, HTTP/1.1 and h2c", () => {
  it("serves h2c with prior knowledge to an HTTP/1.1 app", async () => {
    const session = h2connect(`http://127.0.0.1:${ports.main}`);
    try {
      const res = await h2(session, "/hello?x=1", { method: "POST", body: "ping" });
      expect(res.status).toBe(200);
      expect(res.body).toBe(`app saw POST /hello?x=1 host=127.0.0.1:${ports.main} bytes=4 proto=http`);
      expect(res.headers["x-app"]).toBe("yes");
      expect(seen.at(-1)?.httpVersion).toBe("1.1");
      // Several streams at once on the one connection.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => h2(session, `/n${i}`)));
      expect(many.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(many[7].body).toContain("GET /n7");
      // Cookie crumbs (RFC 9113 §8.2.3) reach the HTTP/1.1 app as one header.
      await h2(session, "/cookies", { headers: { cookie: ["a=1", "b=2"] as unknown as string } });
      expect(seen.at(-1)?.headers.cookie).toBe("a=1; b=2");
    } finally {
      session.close();
    }
  });

  it("serves HTTP/1.1 on the same port, header case kept toward the app", async () => {
    const res = await h1(ports.main, "/plain", { headers: { "X-Mixed-Case": "kept", "x-lower": "too" } });
    expect(res.status).toBe(200);
    expect(res.body).toContain("app saw GET /plain");
    const last = seen.at(-1) as IncomingMessage;
    expect(last.rawHeaders).toContain("X-Mixed-Case");
    expect(last.rawHeaders).toContain("x-lower");
  });

  it("keeps HTTP/1.1 connections alive across requests", async () => {
    const socket = netConnect(ports.main, "127.0.0.1");
    const read = () =>
      new Promise<string>((resolve) => {
        let text = "";
        const onData = (c: Buffer) => {
          text += c.toString();
          // The app answers chunked: the response ends with the last chunk.
          if (text.endsWith("\r\n0\r\n\r\n")) {
            socket.off("data", onData);
            resolve(text);
          }
        };
        socket.on("data", onData);
      });
    try {
      for (const path of ["/ka1", "/ka2", "/ka3"]) {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: app\r\n\r\n`);
        const text = await read();
        expect(text).toMatch(/^HTTP\/1\.1 200/);
        expect(text).toContain(`app saw GET ${path}`);
        expect(text.toLowerCase()).toContain("connection: keep-alive");
      }
    } finally {
      socket.destroy();
    }
  });

  it("streams a response body as it comes (HTTP/2 client)", async () => {
    const session = h2connect(`http://127.0.0.1:${ports.main}`);
    try {
      const stream = session.request({ ":path": "/stream" });
      stream.setEncoding("utf8");
      const first = await new Promise<string>((resolve) => stream.once("data", resolve));
      expect(first).toBe("first;");
      releaseStream?.();
      let rest = "";
      stream.on("data", (c) => (rest += c));
      await new Promise((r) => stream.on("end", r));
      expect(rest).toBe("second");
    } finally {
      session.close();
    }
  });

  it("holds a fast app back while the client does not read, and then delivers every byte", async () => {
    const socket = netConnect(ports.h1only, "127.0.0.1");
    try {
      await new Promise((r) => socket.once("connect", r));
      socket.write("GET /big HTTP/1.1\r\nHost: app\r\n\r\n");
      const first = await new Promise<Buffer>((resolve) => socket.once("data", resolve));
      socket.pause();
      expect(first.toString("latin1")).toMatch(/^HTTP\/1\.1 200/);
      await new Promise((r) => setTimeout(r, 500));
      // Socket buffers on both hops hold some MiB; without backpressure the proxy would read all 64.
      const whilePaused = bigWritten;
      expect(whilePaused).toBeLessThan(BIG_BYTES / 2);
      let received = first.length - first.indexOf("\r\n\r\n") - 4;
      socket.on("data", (c: Buffer) => (received += c.length));
      socket.resume();
      await vi.waitFor(() => expect(received).toBe(BIG_BYTES), { timeout: 20_000, interval: 20 });
      expect(bigWritten).toBe(BIG_BYTES);
    } finally {
      socket.destroy();
    }
  });

  it("streams a large request body both ways", async () => {
    const session = h2connect(`http://127.0.0.1:${ports.main}`);
    try {
      const body = "x".repeat(3 * 1024 * 1024);
      const res = await h2(session, "/upload", { method: "PUT", body });
      expect(res.status).toBe(200);
      expect(res.body).toContain(`bytes=${body.length}`);
    } finally {
      session.close();
    }
  });

  it("passes the app's trailers to an HTTP/2 client", async () => {
    const session = h2connect(`http://127.0.0.1:${ports.main}`);
    try {
      const res = await h2(session, "/trailers");
      expect(res.body).toBe("body");
      expect(res.trailers["x-checksum"]).toBe("abc123");
    } finally {
      session.close();
    }
  });

  it("sends to an HTTP/2 (h2c) upstream for a cluster with protocol: http2", async () => {
    const res = await h1(ports.main, "/h2up/x");
    expect(res.status).toBe(200);
    expect(res.body).toBe("h2 app saw 2.0 /h2up/x");
  });

  it("protocol: http1 serves HTTP/1.1 only", async () => {
    expect((await h1(ports.h1only, "/one")).status).toBe(200);
    const session = h2connect(`http://127.0.0.1:${ports.h1only}`);
    session.on("error", () => {});
    const failed = await new Promise<boolean>((resolve) => {
      const stream = session.request({ ":path": "/" });
      stream.on("error", () => resolve(true));
      stream.on("response", () => resolve(false));
      session.on("close", () => resolve(true));
    });
    session.destroy();
    expect(failed).toBe(true);
  });
});

describe.runIf(hasOpenssl())("TLS with ALPN", () => {
  it("negotiates h2", async () => {
    const session = h2connect(`https://localhost:${ports.tls}`, { ca: tlsMaterial?.cert });
    try {
      const res = await h2(session, "/tls-h2");
      expect(res.status).toBe(200);
      expect(res.body).toContain("app saw GET /tls-h2");
      expect(res.body).toContain("proto=https");
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
  });

  it("negotiates http/1.1", async () => {
    const { res, alpn } = await new Promise<{ res: Reply; alpn: string | false }>((resolve, reject) => {
      const options = {
        host: "127.0.0.1",
        servername: "localhost",
        port: ports.tls,
        path: "/tls-h1",
        ca: tlsMaterial?.cert,
        ALPNProtocols: ["http/1.1"],
        agent: false,
      };
      const req = httpsRequest(options, (r) => {
        let body = "";
        r.on("data", (c) => (body += c));
        r.on("end", () =>
          resolve({
            res: { status: r.statusCode ?? 0, headers: r.headers, body },
            alpn: (r.socket as unknown as { alpnProtocol: string | false }).alpnProtocol,
          }),
        );
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain("app saw GET /tls-h1");
    expect(res.body).toContain("proto=https");
    expect(alpn).toBe("http/1.1");
  });
});

describe("WebSocket", () => {
  function handshake(port: number, path: string) {
    const socket = netConnect(port, "127.0.0.1");
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    return new Promise<{ socket: Socket; head: string; rest: Buffer }>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.off("data", onData);
        resolve({ socket, head: buf.subarray(0, end).toString(), rest: buf.subarray(end + 4) });
      };
      socket.on("data", onData);
      socket.on("error", reject);
    });
  }

  it("echoes messages through the proxy after the 101", async () => {
    const { socket, head, rest } = await handshake(ports.main, "/ws");
    try {
      expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
      expect(head).toMatch(/sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
      expect(head.toLowerCase()).toContain("upgrade: websocket");
      expect(seen.at(-1)?.headers.upgrade).toBe("websocket");
      let buf = rest;
      const receive = () =>
        new Promise<string>((resolve) => {
          const check = () => {
            const m = wsParse(buf);
            if (m === undefined) return false;
            buf = m.rest;
            socket.off("data", onData);
            resolve(m.text);
            return true;
          };
          const onData = (c: Buffer) => {
            buf = Buffer.concat([buf, c]);
            check();
          };
          if (!check()) socket.on("data", onData);
        });
      for (const text of ["hello", "through", "weir"]) {
        socket.write(wsFrame(text, true));
        expect(await receive()).toBe(text.toUpperCase());
      }
      // The client going away closes the app's side too.
      const appSide = appTunnels.at(-1) as Duplex;
      const appClosed = new Promise((r) => appSide.once("close", r));
      socket.destroy();
      await appClosed;
    } finally {
      socket.destroy();
    }
  });

  it("passes the app's refusal to the client and closes", async () => {
    const { socket, head } = await handshake(ports.main, "/ws-refused");
    expect(head).toMatch(/^HTTP\/1\.1 403/);
    expect(head.toLowerCase()).toContain("connection: close");
    await new Promise((r) => socket.once("close", r));
  });
});

describe("http-proxy listener (HTTP_PROXY)", () => {
  function raw(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      // Not half-closed after the request: node:http aborts a request whose client half-closes.
      const socket = netConnect(port, "127.0.0.1", () => socket.write(text));
      let out = "";
      socket.on("data", (c) => (out += c));
      socket.on("end", () => resolve(out));
      socket.on("error", reject);
    });
  }

  it("routes an absolute-form request by its target authority", async () => {
    const out = await raw(
      ports.egress,
      `GET http://orders.svc:${appPort}/orders/7?x=1 HTTP/1.1\r\nHost: orders.svc:${appPort}\r\nConnection: close\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain(`app saw GET /orders/7?x=1 host=orders.svc:${appPort}`);
  });

  it("answers 404 NR for a target no virtual host serves", async () => {
    const out = await raw(ports.egress, "GET http://billing.svc/x HTTP/1.1\r\nHost: billing.svc\r\nConnection: close\r\n\r\n");
    expect(out).toMatch(/^HTTP\/1\.1 404/);
    expect(out.toLowerCase()).toContain("x-weir-response-flags: nr");
  });

  it("works for node:http as an HTTP_PROXY client", async () => {
    const res = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port: ports.egress, path: "http://orders.svc/via-proxy", headers: { host: "orders.svc" }, agent: false },
        (r) => {
          let body = "";
          r.on("data", (c) => (body += c));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain("app saw GET /via-proxy host=orders.svc");
  });

  it("tunnels CONNECT to an endpoint of the target's cluster", async () => {
    const socket = netConnect(ports.egress, "127.0.0.1");
    try {
      socket.write("CONNECT orders.svc:443 HTTP/1.1\r\nHost: orders.svc:443\r\n\r\n");
      let text = "";
      await new Promise<void>((resolve) => {
        const onData = (c: Buffer) => {
          text += c.toString();
          if (!text.includes("\r\n\r\n")) return;
          socket.off("data", onData);
          resolve();
        };
        socket.on("data", onData);
      });
      expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established/);
      // Inside the tunnel: plain HTTP/1.1 to the app.
      socket.write("GET /inside HTTP/1.1\r\nHost: tunnelled\r\nConnection: close\r\n\r\n");
      let inner = "";
      socket.on("data", (c) => (inner += c));
      await new Promise((r) => socket.once("end", r));
      expect(inner).toMatch(/^HTTP\/1\.1 200/);
      expect(inner).toContain("app saw GET /inside host=tunnelled");
    } finally {
      socket.destroy();
    }
  });
});

describe("HTTP/2 rapid reset (CVE-2023-44487)", () => {
  it("closes a connection that floods HEADERS + RST_STREAM while other clients keep being served", async () => {
    const good = h2connect(`http://127.0.0.1:${ports.main}`);
    const bad = h2connect(`http://127.0.0.1:${ports.main}`);
    bad.on("error", () => {});
    let goaway: number | undefined;
    bad.on("goaway", (code) => (goaway = code));
    const closed = new Promise<void>((r) => bad.once("close", () => r()));
    try {
      await new Promise<void>((r) => bad.once("connect", () => r()));
      const statuses: number[] = [];
      const served = (async () => {
        for (let i = 0; i < 20; i++) statuses.push((await h2(good, `/during${i}`)).status);
      })();
      let sent = 0;
      for (let i = 0; i < 5000 && !bad.closed && !bad.destroyed; i++) {
        try {
          const stream = bad.request({ ":path": `/flood${i}` });
          stream.on("error", () => {});
          stream.close(h2constants.NGHTTP2_CANCEL);
          sent++;
        } catch {
          break;
        }
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("flooding session still open")), 5000))]);
      expect(sent).toBeGreaterThan(200);
      expect(goaway).toBe(h2constants.NGHTTP2_ENHANCE_YOUR_CALM);
      // Streams already reset when their HEADERS reached JavaScript never cost an upstream request.
      expect(seen.filter((r) => r.url?.startsWith("/flood")).length).toBeLessThanOrEqual(250);
      await served;
      expect(statuses).toEqual(Array(20).fill(200));
      expect((await h2(good, "/after")).status).toBe(200);
    } finally {
      good.close();
      bad.destroy();
    }
  });
});

describe("drain", () => {
  it("GOAWAYs HTTP/2, closes idle HTTP/1.1, lets in-flight streams finish, refuses new connections", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const enc = new TextEncoder();
    const listener = await listen({
      host: "127.0.0.1",
      port: 0,
      handler: async (req) => {
        const slow = req.path === "/slow";
        const body = (async function* () {
          yield enc.encode(slow ? "start;" : "fast");
          if (slow) {
            await gate;
            yield enc.encode("end");
          }
        })();
        return { status: 200, headers: new HeaderMap([["content-type", "text/plain"]]), body, trailers: () => undefined };
      },
    });
    const session = h2connect(`http://127.0.0.1:${listener.port}`);
    let goaway: number | undefined;
    session.on("goaway", (code) => (goaway = code));
    const stream = session.request({ ":path": "/slow" });
    stream.setEncoding("utf8");
    let received = "";
    stream.on("data", (c) => (received += c));
    const ended = new Promise((r) => stream.on("end", r));
    await new Promise((r) => stream.once("data", r));
    // An HTTP/1.1 connection left idle after one request.
    const idle = netConnect(listener.port, "127.0.0.1");
    idle.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise<void>((resolve) => idle.on("data", (c) => c.toString().endsWith("\r\n0\r\n\r\n") && resolve()));
    const idleClosed = new Promise((r) => idle.once("close", r));

    let drained = false;
    const closing = listener.close(5_000).then(() => (drained = true));
    await idleClosed;
    await new Promise((r) => setTimeout(r, 50));
    expect(goaway).toBe(h2constants.NGHTTP2_NO_ERROR);
    expect(drained).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const s = netConnect(listener.port, "127.0.0.1");
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      s.on("connect", () => {
        s.destroy();
        resolve("connected");
      });
    });
    expect(refused).toBe("ECONNREFUSED");
    release();
    await ended;
    expect(received).toBe("start;end");
    await closing;
    expect(drained).toBe(true);
    session.destroy();
  });
});
