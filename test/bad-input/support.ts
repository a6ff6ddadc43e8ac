/**
 * Harness for the bad-input tests: a real node:http upstream that records what reaches it, the
 * sidecar started in-process exactly as `weir proxy -c <yaml>` starts it (runSidecar over the
 * Node runtime, from a generated YAML file), and raw `node:net` clients that send bytes no
 * well-behaved HTTP client would.
 */

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSidecar, type Sidecar } from "../../proxy/core/sidecar.ts";
import { createNodeRuntime } from "../../proxy/runtime/node/runtime.ts";
import { buildGuestModule } from "../fixtures/proxy-wasm-wat.ts";

/** A port nothing listens on right now: bind port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One request as the upstream app saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes of body received (also when the request was cut short). */
  bodyBytes: number;
  complete: boolean;
}

export interface Upstream {
  server: Server;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** The app: answers 200 with what it received, and records every request that reached it. */
export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const entry: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes: 0, complete: false };
    seen.push(entry);
    req.on("data", (c: Buffer) => {
      entry.bodyBytes += c.byteLength;
    });
    req.on("error", () => {});
    req.on("end", () => {
      entry.complete = true;
      res.writeHead(200, { "content-type": "text/plain" }).end(`app saw ${req.method} ${req.url} ${entry.bodyBytes}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A filter that buffers the whole request body: `proxy_on_request_body` returns StopIterationAndBuffer (1) until end_of_stream. */
export function bufferingFilter(): Uint8Array {
  return buildGuestModule({
    callbacks: { proxy_on_request_body: "(if (result i32) (local.get $2) (then (i32.const 0)) (else (i32.const 1)))" },
  });
}

export interface ProxyUnderTest {
  sidecar: Sidecar;
  /** Listener without filters. */
  plainPort: number;
  /** Listener whose filter buffers the whole request body. */
  bufferedPort: number;
  /** Listener limits the config sets. */
  headersTimeoutMs: number;
  maxBufferedBody: number;
  /** The JSON access-log lines written so far. */
  accessLog(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Writes a weir.yaml (and the filter) into a temp folder and starts the sidecar from it.
 * `plainProtocol` is the filterless listener's `protocol` (`auto` serves h2c too);
 * `headersTimeoutMs` is short by default so the 408 cases run quickly.
 */
export async function startProxy(
  upstreamPort: number,
  options: { plainProtocol?: "http1" | "auto"; headersTimeoutMs?: number } = {},
): Promise<ProxyUnderTest> {
  const plainProtocol = options.plainProtocol ?? "http1";
  const dir = await mkdtemp(join(tmpdir(), "weir-bad-input-"));
  await writeFile(join(dir, "buffer-body.wasm"), bufferingFilter());
  const [plainPort, bufferedPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const headersTimeoutMs = options.headersTimeoutMs ?? 500;
  const maxBufferedBody = 64 * 1024;
  const limits = `
    limits:
      maxHeadersSize: 60KiB
      maxHeaders: 100
      headersTimeout: ${headersTimeoutMs}ms
      maxUriSize: 8KiB
      maxBufferedBody: 64KiB`;
  const logPath = join(dir, "access.log");
  const yaml = `
admin:
  address: 127.0.0.1:${adminPort}
accessLog:
  format: json
  path: ${logPath}
listeners:
  - name: plain
    address: 127.0.0.1
    port: ${plainPort}
    protocol: ${plainProtocol}${limits}
    routes:
      - cluster: app
  - name: buffered
    address: 127.0.0.1
    port: ${bufferedPort}
    protocol: http1${limits}
    filters:
      - name: buffer-body
        source: { file: buffer-body.wasm }
    routes:
      - cluster: app
clusters:
  - name: app
    endpoints: ["127.0.0.1:${upstreamPort}"]
`;
  const configPath = join(dir, "weir.yaml");
  await writeFile(configPath, yaml);
  const sidecar = await runSidecar(createNodeRuntime({ baseDir: dir, cacheDir: join(dir, "cache") }), {
    configPath,
    baseDir: dir,
    readTextFile: (p) => readFile(p, "utf8"),
    logger: (e) => {
      if (e.level === "error" || e.level === "critical") console.error(`[weir] ${e.level} ${e.message}`);
    },
  });
  return {
    sidecar,
    plainPort,
    bufferedPort,
    headersTimeoutMs,
    maxBufferedBody,
    async accessLog() {
      let text = "";
      try {
        text = await readFile(logPath, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await sidecar.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What came back on a raw connection. */
export interface RawResult {
  /** Everything the proxy wrote, as latin1. */
  raw: string;
  /** The first line ("HTTP/1.1 400 Bad Request"), or "" when nothing came back. */
  statusLine: string;
  status: number;
  /** Response header fields (lower-cased names; last one wins). */
  headers: Record<string, string>;
  body: string;
  /** The proxy closed the connection (FIN or reset) before the deadline. */
  closed: boolean;
  /** ms from the first byte written until the first response byte arrived (or the close, or the deadline). */
  elapsedMs: number;
}

/**
 * Writes `bytes` on a fresh connection, then keeps reading until the proxy closes it or
 * `timeoutMs` passes. `pieces` are written one after another with `gapMs` between them.
 */
export function rawExchange(port: number, bytes: string | Buffer | (string | Buffer)[], opts: { timeoutMs?: number; gapMs?: number } = {}) {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const pieces = Array.isArray(bytes) ? bytes : [bytes];
  return new Promise<RawResult>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const started = performance.now();
    let firstByteAt: number | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString("latin1"), closed, (firstByteAt ?? performance.now()) - started));
    };
    const deadline = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (c: Buffer) => {
      firstByteAt ??= performance.now();
      chunks.push(c);
    });
    socket.on("error", () => finish(true)); // ECONNRESET / EPIPE: the proxy closed on us
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        if (socket.destroyed) return;
        socket.write(pieces[i]);
      }
    });
  });
}

function parseRaw(raw: string, closed: boolean, elapsedMs: number): RawResult {
  const end = raw.indexOf("\r\n\r\n");
  const head = end === -1 ? raw : raw.slice(0, end);
  const lines = head.split("\r\n");
  const statusLine = raw === "" ? "" : lines[0];
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { raw, statusLine, status, headers, body: end === -1 ? "" : raw.slice(end + 4), closed, elapsedMs };
}

/** A well-formed request through the proxy on its own connection; resolves with the status and body. */
export function normalRequest(
  port: number,
  init: { method?: string; path?: string; body?: string | Buffer } = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: init.path ?? "/ok", method: init.method ?? "GET", agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("normal request timed out")));
    req.end(init.body);
  });
}
