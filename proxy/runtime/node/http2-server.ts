/**
 * The HTTP/2 side of a Node listener: node:http2's core API (a session per connection, a
 * stream per request) turned into core `DownstreamRequest`s, responses written back with
 * backpressure and trailers (gRPC needs them).
 *
 * The server here never listens: `listener.ts` accepts connections (cleartext with the h2c
 * prior-knowledge preface, or TLS with ALPN `h2`) and hands them over with `emit("connection")`.
 *
 * Rapid reset (CVE-2023-44487): a client that opens streams and cancels them at once makes
 * the proxy start work it never finishes. Node's nghttp2 has a reset budget of its own (a burst
 * of 1000, then 33 a second); on top of it every connection counts the streams the client reset
 * before their response was complete, and past `maxResetsPerSecond` in one second the
 * connection gets GOAWAY ENHANCE_YOUR_CALM and is closed. A stream that is already reset when
 * its HEADERS reach JavaScript never reaches the filters.
 *
 * CONNECT (and so RFC 8441 WebSocket) over HTTP/2 is answered 501: tunnels are HTTP/1.1-only.
 */

import {
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { TLSSocket } from "node:tls";
import { HeaderMap } from "../../abi/header-map.ts";
import type { DownstreamRequest, ProxyResponse } from "../../core/http/types.ts";
import { drained, type RequestHandler } from "./http-server.ts";

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_FLAG_END_STREAM } = constants;

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);

export interface Http2Options {
  handler: RequestHandler;
  /** The listener's header bytes limit (default 60 KiB); SETTINGS_MAX_HEADER_LIST_SIZE is twice that. */
  maxHeaderBytes?: number;
  /** The listener's header count limit (default 100); the core answers 431 past it. */
  maxHeaders?: number;
  /** Concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS; default 256). */
  maxConcurrentStreams?: number;
  /** A connection with no frames for this long gets GOAWAY, its open streams finishing first (default 60 s; 0: never). */
  idleTimeoutMs?: number;
  /** Streams a client may reset before their response completed, per connection per second (default 200). */
  maxResetsPerSecond?: number;
  /** Last touches to each request (TLS facts); may throw to refuse it (the stream is reset). */
  prepare?(req: DownstreamRequest, socket: TLSSocket | undefined): DownstreamRequest;
  /** A connection was closed for too many resets (for logs and stats). */
  onRapidReset?(session: ServerHttp2Session, resets: number): void;
  now?(): number;
}

interface ResetWindow {
  start: number;
  count: number;
  closed: boolean;
}

/** An HTTP/2 server for connections handed over by the listener; `sessions` are the live ones (for drains). */
export function createHttp2Server(options: Http2Options): { server: Http2Server; sessions: Set<ServerHttp2Session> } {
  const maxResets = options.maxResetsPerSecond ?? 200;
  const now = options.now ?? (() => performance.now());
  const maxHeaderBytes = options.maxHeaderBytes ?? 60 * 1024;
  const server = createServer({
    // Generous on purpose: the core checks the listener's limits and answers 431 (as over
    // HTTP/1.1); past these node:http2 resets the stream before the core sees it.
    maxHeaderListPairs: Math.max(2000, (options.maxHeaders ?? 100) + 1) + 4,
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 1000,
    settings: {
      maxConcurrentStreams: options.maxConcurrentStreams ?? 256,
      maxHeaderListSize: Math.max(2 * maxHeaderBytes, 64 * 1024),
    },
  });
  const sessions = new Set<ServerHttp2Session>();
  const windows = new WeakMap<ServerHttp2Session, ResetWindow>();

  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    windows.set(session, { start: now(), count: 0, closed: false });
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
    const idle = options.idleTimeoutMs ?? 60_000;
    if (idle > 0) session.setTimeout(idle, () => session.close());
  });

  /** Counts a client reset; closes the connection past the budget. */
  function countReset(session: ServerHttp2Session): void {
    const w = windows.get(session);
    if (w === undefined || w.closed) return;
    const t = now();
    if (t - w.start >= 1000) {
      w.start = t;
      w.count = 0;
    }
    if (++w.count <= maxResets) return;
    w.closed = true;
    options.onRapidReset?.(session, w.count);
    if (session.destroyed) return;
    session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
  }

  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders?: string[]) => {
    const session = stream.session as ServerHttp2Session;
    const state = { responded: false, resetByUs: false };
    stream.on("error", () => {});
    stream.once("close", () => {
      if (!state.responded && !state.resetByUs && stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) countReset(session);
    });
    if (stream.closed || stream.destroyed) return; // reset before it got here: no work for it
    if (headers[":method"] === "CONNECT") {
      // Tunnels (CONNECT, RFC 8441 WebSocket) are HTTP/1.1-only here.
      state.responded = true;
      stream.respond({ ":status": 501, "content-type": "text/plain" });
      stream.end("CONNECT over HTTP/2 is not supported; use HTTP/1.1\n");
      return;
    }
    let req: DownstreamRequest;
    try {
      req = toDownstream(stream, headers, flags, rawHeaders, state);
      if (options.prepare)
        req = options.prepare(req, session.socket && "encrypted" in session.socket ? (session.socket as TLSSocket) : undefined);
    } catch {
      state.resetByUs = true;
      stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    options
      .handler(req)
      .then((response) => writeResponse(stream, response))
      .then(() => {
        state.responded = true;
      })
      .catch(() => {
        if (stream.destroyed) return;
        state.resetByUs = true;
        stream.close(NGHTTP2_INTERNAL_ERROR);
      });
  });

  return { server, sessions };
}

function toDownstream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  rawHeaders: string[] | undefined,
  state: { responded: boolean },
): DownstreamRequest {
  const map = new HeaderMap();
  let cookies: string[] | undefined;
  const raw = rawHeaders ?? Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, String(v)]));
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* : */) continue;
    // HTTP/2 may split cookies into crumbs; HTTP/1.1 upstreams need one header (RFC 9113 §8.2.3).
    if (name === "cookie") (cookies ??= []).push(raw[i + 1]);
    else map.add(name, raw[i + 1]);
  }
  if (cookies !== undefined) map.add("cookie", cookies.join("; "));
  const controller = new AbortController();
  stream.once("close", () => {
    if (!state.responded) controller.abort();
  });
  const socket = stream.session?.socket;
  const encrypted = socket !== undefined && "encrypted" in socket && (socket as TLSSocket).encrypted;
  const ended = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
  return {
    method: String(headers[":method"] ?? "GET"),
    path: String(headers[":path"] ?? "/"),
    authority: String(headers[":authority"] ?? headers.host ?? ""),
    scheme: encrypted ? "https" : "http",
    protocol: "HTTP/2",
    headers: map,
    body: ended ? null : (stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>),
    remoteAddress: socket?.remoteAddress ?? "",
    remotePort: socket?.remotePort ?? 0,
    localAddress: socket?.localAddress ?? "",
    localPort: socket?.localPort ?? 0,
    signal: controller.signal,
  };
}

function toOutgoing(map: HeaderMap, into: OutgoingHttpHeaders): OutgoingHttpHeaders {
  for (let i = 0; i < map.size; i++) {
    const name = map.nameAt(i);
    if (name.charCodeAt(0) === 58 || CONNECTION_SPECIFIC.has(name)) continue;
    const value = map.valueAt(i);
    const existing = into[name];
    if (existing === undefined) into[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else into[name] = [String(existing), value];
  }
  return into;
}

/** Writes the response on the stream: headers, the body with backpressure, then the trailers (if any). */
async function writeResponse(stream: ServerHttp2Stream, response: ProxyResponse): Promise<void> {
  if (stream.destroyed || stream.closed) throw new Error("stream closed before the response");
  const headers = toOutgoing(response.headers, { ":status": response.status });
  const body = response.body;
  if (body === null) {
    stream.respond(headers, { endStream: true });
    return;
  }
  // Trailers are known only after the body, so every streamed response leaves room for them.
  stream.respond(headers, { waitForTrailers: true });
  stream.once("wantTrailers", () => {
    const trailers = response.trailers();
    try {
      stream.sendTrailers(trailers && trailers.size > 0 ? toOutgoing(trailers, {}) : {});
    } catch {
      stream.close(NGHTTP2_CANCEL);
    }
  });
  for await (const chunk of body) {
    if (stream.destroyed) throw new Error("stream closed during the response");
    if (!stream.write(chunk)) await drained(stream);
  }
  if (stream.destroyed) throw new Error("stream closed during the response");
  await new Promise<void>((resolve) => stream.end(resolve));
}
