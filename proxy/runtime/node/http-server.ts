/**
 * The Node listener: node:http turns each request into a core `DownstreamRequest` and writes
 * the `ProxyResponse` back, with backpressure, keeping HTTP/1.1 header case toward the app
 * (rawHeaders) and resetting the connection when the core says the stream must be reset.
 */

import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { HeaderMap } from "../../abi/header-map.ts";
import { Abort } from "../../core/http/abort.ts";
import { BodyChannel, type BodySink } from "../../core/http/body-channel.ts";
import type { DownstreamRequest, ProxyResponse } from "../../core/http/types.ts";

export type RequestHandler = (req: DownstreamRequest) => Promise<ProxyResponse>;

export interface NodeListenerOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  /** Most request header bytes (default 60 KiB; node:http answers 431 past it). */
  maxHeaderBytes?: number;
  /** Time allowed for the request header section (default 10 s; 408 past it). */
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Most request headers (the core answers 431 past it); node:http keeps at least one more so none is dropped unseen. */
  maxHeaders?: number;
}

export interface NodeListener {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting and resolves once open connections finished, closing the rest after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** A request's raw headers as a lower-cased HeaderMap, and the original spelling of the names that had capitals. */
export function readRawHeaders(raw: readonly string[]): { headers: HeaderMap; headerCase: Map<string, string> } {
  const headers = new HeaderMap();
  const headerCase = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower !== name) headerCase.set(lower, name);
    headers.add(lower, raw[i + 1]);
  }
  return { headers, headerCase };
}

/**
 * Listens, and resolves with the bound port and a graceful close: stop accepting; idle
 * keep-alive connections go now, busy ones when their response ends (Node closes them after
 * the response), and whatever is left at the deadline.
 */
export function listenGracefully(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; close(timeoutMs?: number): Promise<void> }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: (timeoutMs = 0) =>
          new Promise((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

export function toDownstream(req: IncomingMessage, res: ServerResponse): DownstreamRequest {
  const { headers, headerCase } = readRawHeaders(req.rawHeaders);
  const length = req.headers["content-length"];
  const hasBody = (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
  const controller = new Abort();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const socket = req.socket;
  return {
    method: req.method ?? "GET",
    path: req.url ?? "/",
    authority: req.headers.host ?? "",
    scheme: (socket as { encrypted?: boolean }).encrypted ? "https" : "http",
    protocol: req.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1",
    headers,
    headerCase,
    body: hasBody ? (req as AsyncIterable<Uint8Array>) : null,
    remoteAddress: socket.remoteAddress ?? "",
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? "",
    localPort: socket.localPort ?? 0,
    signal: controller.signal,
  };
}

/** Writes the response: the head now, the body as the core pushes it, pausing it while the socket is full. */
export function write(res: ServerResponse, response: ProxyResponse): void {
  const flat: string[] = [];
  const h = response.headers;
  for (let i = 0; i < h.size; i++) flat.push(h.nameAt(i), h.valueAt(i));
  res.writeHead(response.status, flat);
  const body = response.body;
  if (body === null) res.end();
  else {
    const channel = BodyChannel.from(body);
    channel.subscribe(new ResponseWriter(res, response, channel));
  }
}

/** The response body's way to the socket. A class, not callbacks in a literal: one per request. */
class ResponseWriter implements BodySink {
  readonly #res: ServerResponse;
  readonly #response: ProxyResponse;
  readonly #channel: BodyChannel;

  constructor(res: ServerResponse, response: ProxyResponse, channel: BodyChannel) {
    this.#res = res;
    this.#response = response;
    this.#channel = channel;
  }

  data(chunk: Uint8Array, end: boolean): void {
    if (end) {
      // The last chunk: one write with the end (trailers come after the body, so only without them).
      if (this.#response.trailers() === undefined) this.#res.end(chunk);
      else {
        this.#res.write(chunk);
        this.end();
      }
      return;
    }
    if (this.#res.write(chunk)) return;
    // The socket is full: hold the body until it drains.
    const channel = this.#channel;
    channel.pause();
    this.#res.once("drain", () => channel.resume());
  }

  end(): void {
    const trailers = this.#response.trailers();
    if (trailers !== undefined) this.#res.addTrailers(trailers.entries());
    this.#res.end();
  }

  error(): void {
    this.#res.destroy();
  }
}

/** Resolves when `stream` can take more bytes, or closed (at once when it can already, or is gone). */
export function drained(stream: Duplex): Promise<void> {
  if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

// ---- bad input: what node:http's parser (llhttp) refuses never reaches the core ---------------

/** Status for a parser error code; other HPE_* codes (framing, smuggling, bad characters, obs-fold) are 400. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};
/** How long a refused connection may linger for the client to read the reply (a close with unread input would RST it away). */
const LINGER_MS = 2000;
const refused = new WeakSet<Duplex>();

/**
 * `clientError`: llhttp refused the bytes (HPE_*), or the header section outlived
 * `headersTimeout`. Answers once — 400/408/413/431 with the DPE flag and `connection: close`,
 * as Node's default handler would but with weir's flag — unless a response already started on
 * the socket (then there is nothing left to say), ends the socket and destroys it after a short
 * linger. Errors that are not the client's bytes (ECONNRESET, …) just close.
 */
export function refuseClient(err: Error & { code?: string }, socket: Duplex): void {
  if (refused.has(socket)) return; // llhttp reports the same error again for every later read
  refused.add(socket);
  const code = err.code ?? "";
  const status = CLIENT_ERROR_STATUS[code] ?? (code.startsWith("HPE_") ? 400 : 0);
  const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (status === 0 || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const reason = STATUS_CODES[status] ?? "Bad Request";
  const body = `${reason} (${code})\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
      `connection: close\r\nx-weir-response-flags: DPE\r\n\r\n${body}`,
  );
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
}

/**
 * Bad input: the node:http options every HTTP/1.1 server of weir's runs with (here, and any
 * listener that hands connections to its own node:http server). Apply `guardHttp1Server` too.
 */
export function http1ServerOptions(
  limits: Pick<NodeListenerOptions, "maxHeaderBytes" | "headersTimeoutMs" | "keepAliveTimeoutMs">,
): ServerOptions {
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  return {
    maxHeaderSize: limits.maxHeaderBytes ?? 60 * 1024,
    headersTimeout,
    // Node checks headersTimeout only this often (30 s by default), so the 408 came up to 30 s late.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 5))),
    // A missing Host is the core's 400 (request-limits.ts, with DPE and an access-log line), the same on every runtime.
    requireHostHeader: false,
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 60_000,
  };
}

/**
 * Bad input: parser errors and header timeouts get weir's answer (`refuseClient`), and the
 * header count stays visible to the core's 431 check: node:http silently drops the headers
 * past `maxHeadersCount` (roughly: it stops keeping them somewhere past the count), so it keeps
 * more than `maxHeaders` (Node's 2000, or `maxHeaders + 1` above that) — a request over the
 * limit is refused rather than forwarded with headers missing.
 */
export function guardHttp1Server(server: Server, limits: Pick<NodeListenerOptions, "maxHeaders"> = {}): void {
  server.on("clientError", refuseClient);
  server.maxHeadersCount = limits.maxHeaders === undefined ? 2000 : Math.max(2000, limits.maxHeaders + 1);
}

export async function listenNode(options: NodeListenerOptions): Promise<NodeListener> {
  const server = createServer(http1ServerOptions(options), (req, res) => {
    options
      .handler(toDownstream(req, res))
      .then((response) => write(res, response))
      .catch(() => res.destroy());
  });
  guardHttp1Server(server, options); // bad input
  const bound = await listenGracefully(server, options.port, options.host);
  return { server, ...bound };
}
