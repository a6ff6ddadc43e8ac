/**
 * Connection upgrades on Node: WebSocket (any HTTP/1.1 `Upgrade`) and CONNECT tunnels.
 *
 * The upgrade request goes through the proxy like any other: the filters see its headers, the
 * router picks the cluster, the cluster picks the endpoint. The request is marked `upgrade`, so
 * the endpoint client (`sendUpgrade`) sends it with `Connection: Upgrade` on a connection of its
 * own (or, for CONNECT, opens a TCP connection to the endpoint). Once the upstream switched
 * (101, or connected), the tunnel's bytes travel as the exchange's bodies: client → upstream as
 * the request body, upstream → client as the response body, streamed with backpressure both
 * ways and through the filters' body callbacks (as Envoy does; a filter that buffers a body
 * stalls the tunnel). When the upstream refuses the upgrade, its answer goes to the client and
 * the connection closes.
 *
 * Tunnels have no idle or request timeout; a drain closes them at its deadline.
 */

import { request as httpRequest, type IncomingMessage, STATUS_CODES } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { HeaderMap } from "../../abi/header-map.ts";
import type { DownstreamRequest, ProxyResponse, UpstreamRequest, UpstreamResponse } from "../../core/http/types.ts";
import { UpstreamError } from "../../core/http/types.ts";
import { TargetError } from "./http-proxy.ts";
import { drained, type RequestHandler, readRawHeaders } from "./http-server.ts";
import { classifyUpstreamError } from "./upstream.ts";

/** Headers that describe a connection, not a message: never written on a switched connection's 101. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length"]);

/** Writes `body` into `stream` with backpressure, then half-closes it; destroys it if the body fails. */
async function pipeInto(body: AsyncIterable<Uint8Array>, stream: Duplex): Promise<void> {
  try {
    for await (const chunk of body) {
      if (stream.destroyed) return;
      if (!stream.write(chunk)) await drained(stream);
    }
    if (!stream.destroyed) stream.end();
  } catch {
    stream.destroy();
  }
}

/** The bytes a socket receives from now on, `head` (already read by the HTTP parser) first. */
function bytesOf(socket: Duplex, head: Uint8Array, destroyOnReturn: boolean): AsyncIterable<Uint8Array> {
  if (head.byteLength > 0) socket.unshift(head);
  return socket.iterator({ destroyOnReturn }) as AsyncIterable<Uint8Array>;
}

// ---- downstream: an upgrade request on the HTTP/1.1 listener -----------------------------------

export interface UpgradeOptions {
  handler: RequestHandler;
  /** Last touches to the request (target normalization, TLS facts); may throw TargetError. */
  prepare(req: DownstreamRequest): DownstreamRequest;
}

/**
 * Serves a request node:http handed over with its socket: an `upgrade` event (WebSocket) or a
 * `connect` event (CONNECT). Writes the response itself on the raw socket.
 */
export function serveUpgrade(req: IncomingMessage, socket: Duplex, head: Uint8Array, options: UpgradeOptions): void {
  (socket as Socket).setTimeout?.(0);
  (socket as Socket).setNoDelay?.(true);
  socket.on("error", () => socket.destroy());
  const connect = req.method === "CONNECT";
  const { headers, headerCase } = readRawHeaders(req.rawHeaders);
  let finished = false;
  const controller = new AbortController();
  socket.once("close", () => {
    if (!finished) controller.abort();
  });
  const protocol = connect ? "CONNECT" : (req.headers.upgrade ?? "").trim();
  // `Upgrade: h2c` (RFC 7540 §3.2, dropped by RFC 9113) is declined: the request is served over
  // HTTP/1.1 and the connection closes after it. Clients that want h2c send the preface instead.
  const h2c = !connect && /^h2c$/i.test(protocol);
  let body: AsyncIterable<Uint8Array> | null = bytesOf(socket, head, false);
  if (h2c) {
    headers.delete("http2-settings");
    if (req.headers["transfer-encoding"] !== undefined) {
      socket.end("HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const length = Number(req.headers["content-length"] ?? 0);
    body = length > 0 ? take(body, length) : null;
  }
  let downstream: DownstreamRequest;
  try {
    downstream = options.prepare({
      method: req.method ?? "GET",
      path: req.url ?? "/",
      authority: req.headers.host ?? "",
      scheme: (socket as { encrypted?: boolean }).encrypted ? "https" : "http",
      protocol: req.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1",
      headers,
      headerCase,
      body,
      upgrade: h2c ? undefined : protocol,
      remoteAddress: (socket as Socket).remoteAddress ?? "",
      remotePort: (socket as Socket).remotePort ?? 0,
      localAddress: (socket as Socket).localAddress ?? "",
      localPort: (socket as Socket).localPort ?? 0,
      signal: controller.signal,
    });
  } catch (err) {
    const status = err instanceof TargetError ? err.status : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    return;
  }
  options
    .handler(downstream)
    .then(async (response) => {
      const switched = !h2c && (connect ? response.status >= 200 && response.status < 300 : response.status === 101);
      await writeRaw(socket, response, switched ? protocol : undefined);
      finished = true;
    })
    .catch(() => socket.destroy());
}

/** The first `length` bytes of `source`. */
async function* take(source: AsyncIterable<Uint8Array>, length: number): AsyncIterable<Uint8Array> {
  let left = length;
  for await (const chunk of source) {
    if (chunk.byteLength >= left) {
      yield chunk.subarray(0, left);
      return;
    }
    left -= chunk.byteLength;
    yield chunk;
  }
}

/**
 * Writes a response on a raw HTTP/1.1 socket. `protocol` set: the connection switched (101 with
 * `Upgrade: protocol`, or CONNECT's 2xx) and the body is the tunnel, ended when the upstream
 * ends it. Otherwise a final response, delimited by its content-length or by closing.
 */
async function writeRaw(socket: Duplex, response: ProxyResponse, protocol: string | undefined): Promise<void> {
  const status = response.status;
  let head = `HTTP/1.1 ${status} ${status === 200 && protocol === "CONNECT" ? "Connection Established" : (STATUS_CODES[status] ?? "Unknown")}\r\n`;
  const h = response.headers;
  for (let i = 0; i < h.size; i++) {
    const name = h.nameAt(i);
    if (protocol !== undefined ? CONNECTION_HEADERS.has(name) : name === "connection" || name === "transfer-encoding") continue;
    head += `${name}: ${h.valueAt(i)}\r\n`;
  }
  if (protocol === undefined) head += "connection: close\r\n";
  else if (protocol !== "CONNECT") head += `connection: Upgrade\r\nupgrade: ${protocol}\r\n`;
  socket.write(`${head}\r\n`);
  const body = response.body;
  if (body !== null) {
    for await (const chunk of body) {
      if (socket.destroyed) break;
      if (!socket.write(chunk)) await drained(socket);
    }
  }
  if (!socket.destroyed) socket.end();
}

// ---- upstream: sending the upgrade to the endpoint ----------------------------------------------

export interface UpgradeTarget {
  /** `host:port` (`[v6]:port`), for errors and the access log. */
  endpoint: string;
  host: string;
  port: number;
  /** TLS to the endpoint (ignored for CONNECT: the tunnel carries the client's own bytes, TLS included). */
  tls?: { ca?: string; servername?: string; cert?: string; key?: string };
}

function connectTimeoutError(endpoint: string): Error {
  return Object.assign(new Error(`connect timeout to ${endpoint}`), { code: "UND_ERR_CONNECT_TIMEOUT" });
}

/**
 * Sends an upgrade request (or opens a CONNECT tunnel) to one endpoint, on a connection of its
 * own. Resolves with the upstream's answer: after a switch the body is the upstream's side of
 * the tunnel, and `request.body` is streamed into it.
 */
export function sendUpgrade(target: UpgradeTarget, request: UpstreamRequest): Promise<UpstreamResponse> {
  return request.upgrade === "CONNECT" ? openTunnel(target, request) : sendUpgradeRequest(target, request);
}

function rejectFor(request: UpstreamRequest, err: unknown, endpoint: string): UpstreamError {
  const reason = request.signal.reason;
  if (request.signal.aborted && reason instanceof UpstreamError) return reason;
  return classifyUpstreamError(err, endpoint);
}

function startBody(request: UpstreamRequest, socket: Duplex): void {
  const body = request.body;
  if (body === null) return;
  if (body instanceof Uint8Array) socket.write(body);
  else void pipeInto(body, socket);
}

function openTunnel(target: UpgradeTarget, request: UpstreamRequest): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    let connected = false;
    const timer =
      request.connectTimeoutMs > 0
        ? setTimeout(() => socket.destroy(connectTimeoutError(target.endpoint)), request.connectTimeoutMs)
        : undefined;
    const abort = () => socket.destroy();
    if (request.signal.aborted) abort();
    request.signal.addEventListener("abort", abort, { once: true });
    socket.once("close", () => request.signal.removeEventListener("abort", abort));
    socket.on("error", (err) => {
      clearTimeout(timer);
      if (!connected) reject(rejectFor(request, err, target.endpoint));
    });
    socket.once("connect", () => {
      connected = true;
      clearTimeout(timer);
      socket.setNoDelay(true);
      startBody(request, socket);
      resolve({
        status: 200,
        headers: [],
        body: bytesOf(socket, new Uint8Array(0), true),
        trailers: () => undefined,
        endpoint: target.endpoint,
      });
    });
  });
}

function sendUpgradeRequest(target: UpgradeTarget, request: UpstreamRequest): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const headers: string[] = [];
    for (const [name, value] of request.headers) headers.push(name, value);
    headers.push("Host", request.authority, "Connection", "Upgrade", "Upgrade", request.upgrade as string);
    const tls = target.tls;
    const options = {
      host: target.host,
      port: target.port,
      method: request.method,
      path: request.path,
      headers,
      agent: false as const,
      setHost: false,
      ...(tls ? { ca: tls.ca, servername: tls.servername, cert: tls.cert, key: tls.key, ALPNProtocols: ["http/1.1"] } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(rejectFor(request, err, target.endpoint));
    };
    const timer =
      request.connectTimeoutMs > 0
        ? setTimeout(() => req.destroy(connectTimeoutError(target.endpoint)), request.connectTimeoutMs)
        : undefined;
    req.once("socket", (socket: Socket) => {
      const connected = () => clearTimeout(timer);
      if (socket.connecting) socket.once(tls ? "secureConnect" : "connect", connected);
      else connected();
    });
    const abort = () => req.destroy();
    if (request.signal.aborted) abort();
    request.signal.addEventListener("abort", abort, { once: true });
    req.on("error", fail);
    req.once("upgrade", (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener("abort", abort);
      const close = () => socket.destroy();
      if (request.signal.aborted) close();
      request.signal.addEventListener("abort", close, { once: true });
      socket.once("close", () => request.signal.removeEventListener("abort", close));
      socket.on("error", () => socket.destroy());
      (socket as Socket).setNoDelay?.(true);
      startBody(request, socket);
      resolve({
        status: 101,
        headers: pairs(res.rawHeaders),
        body: bytesOf(socket, head, true),
        trailers: () => undefined,
        endpoint: target.endpoint,
      });
    });
    req.once("response", (res: IncomingMessage) => {
      // The upstream refused to switch: its answer is an ordinary response.
      settled = true;
      clearTimeout(timer);
      res.once("close", () => request.signal.removeEventListener("abort", abort));
      const noBody = request.method === "HEAD" || res.statusCode === 204 || res.statusCode === 304;
      if (noBody) res.resume();
      resolve({
        status: res.statusCode ?? 502,
        headers: pairs(res.rawHeaders),
        body: noBody ? null : (res as AsyncIterable<Uint8Array>),
        trailers: () => (res.rawTrailers.length > 0 ? new HeaderMap(pairs(res.rawTrailers)) : undefined),
        endpoint: target.endpoint,
      });
    });
    req.end();
  });
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}
