/**
 * A Node listener serving HTTP/1.1 and HTTP/2 on one port.
 *
 * The listener owns the socket (a net.Server, or a tls.Server for `tls:` listeners) and hands
 * each connection to one of two servers that never listen themselves: a node:http server
 * (HTTP/1.1, keep-alive, WebSocket and CONNECT upgrades) or a node:http2 server
 * (`http2-server.ts`). Which one is decided per connection:
 *
 * - cleartext: by the first bytes. A connection that opens with the HTTP/2 connection preface
 *   (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, h2c with prior knowledge) is HTTP/2; anything else is
 *   HTTP/1.1. The bytes read to decide are put back before the server sees the connection.
 * - TLS: by ALPN (`h2` or `http/1.1`, offered from `tls.alpn`); a client without ALPN gets
 *   HTTP/1.1 (and is refused by `protocol: http2` listeners).
 *
 * `protocol: http1` or `http2` skips the sniffing and serves that protocol only. Requests in
 * absolute form are rewritten to origin form (`http-proxy.ts`); `direction: http-proxy`
 * listeners also accept CONNECT. A drain stops accepting, sends GOAWAY to HTTP/2 connections,
 * closes idle HTTP/1.1 connections and the others after their current response, and closes
 * whatever is left (tunnels included) at the deadline.
 */

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { DownstreamRequest } from "../../core/http/types.ts";
import { normalizeTarget, TargetError } from "./http-proxy.ts";
import { guardHttp1Server, http1ServerOptions, type RequestHandler, toDownstream, write } from "./http-server.ts";
import { createHttp2Server } from "./http2-server.ts";
import { serveUpgrade } from "./websocket.ts";

export type { RequestHandler };

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface ListenerTlsMaterial {
  /** PEM text. */
  cert: string;
  key: string;
  /** ALPN protocols offered, in preference order (`h2`, `http/1.1`). */
  alpn: readonly string[];
  /** CA bundle (PEM) client certificates must chain to; undefined accepts clients without one. */
  clientCa?: string;
}

export interface ListenOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  protocol?: "auto" | "http1" | "http2";
  direction?: "inbound" | "outbound" | "http-proxy";
  tls?: ListenerTlsMaterial;
  /** Most request header bytes (default 60 KiB). */
  maxHeaderBytes?: number;
  /** Most request headers (default 100). */
  maxHeaders?: number;
  /** Time allowed for the request header section, and for the first bytes of a connection (default 10 s). */
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** HTTP/2 streams a client may reset early, per connection per second, before the connection is closed (default 200). */
  maxResetsPerSecond?: number;
  /** Called when a connection is closed for rapid resets. */
  onRapidReset?(remote: string, resets: number): void;
}

export interface Listener {
  readonly server: NetServer;
  readonly port: number;
  /** Stops accepting; resolves once every connection closed, closing what is left after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** What the listener learnt from a TLS connection, for the `connection.*` properties filters read. */
function tlsFacts(socket: TLSSocket): DownstreamRequest["tls"] {
  const facts: NonNullable<DownstreamRequest["tls"]> = {
    version: socket.getProtocol() ?? undefined,
    serverName: (socket as { servername?: string | false }).servername || undefined,
  };
  const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
  if (peer && Object.keys(peer).length > 0) {
    const sans = (peer.subjectaltname ?? "").split(/,\s*/);
    facts.peerUriSans = sans.filter((s) => s.startsWith("URI:")).map((s) => s.slice(4));
    facts.peerDnsSans = sans.filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
    const subject = peer.subject as unknown as Record<string, string | string[]> | undefined;
    if (subject) {
      facts.peerSubject = Object.entries(subject)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : v}`)
        .join(",");
    }
  }
  return facts;
}

export function listen(options: ListenOptions): Promise<Listener> {
  const protocol = options.protocol ?? "auto";
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const factsBySocket = new WeakMap<object, DownstreamRequest["tls"]>();
  const prepare = (req: DownstreamRequest, socket: Duplex | undefined): DownstreamRequest => {
    normalizeTarget(req);
    if (socket !== undefined && (socket as TLSSocket).encrypted) {
      let facts = factsBySocket.get(socket);
      if (facts === undefined) {
        facts = tlsFacts(socket as TLSSocket);
        factsBySocket.set(socket, facts);
      }
      req.tls = facts;
    }
    return req;
  };
  let draining = false;

  // HTTP/1.1 ----------------------------------------------------------------------------------
  const http1 = createHttpServer(
    http1ServerOptions({
      maxHeaderBytes: options.maxHeaderBytes,
      headersTimeoutMs: headersTimeout,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    }),
    (req: IncomingMessage, res: ServerResponse) => {
      if (draining) res.shouldKeepAlive = false;
      let downstream: DownstreamRequest;
      try {
        downstream = prepare(toDownstream(req, res), req.socket);
      } catch (err) {
        const status = err instanceof TargetError ? err.status : 400;
        res.writeHead(status, { "content-type": "text/plain", connection: "close" }).end(`${(err as Error).message}\n`);
        return;
      }
      options
        .handler(downstream)
        .then((response) => write(res, response))
        .catch(() => res.destroy());
    },
  );
  guardHttp1Server(http1, { maxHeaders: options.maxHeaders }); // bad input: weir's 400/408/431 answers
  // The server is handed connections rather than listening; this starts its connection
  // bookkeeping (headersTimeout checks, closeIdleConnections), which `listen` would.
  http1.emit("listening");
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    serveUpgrade(req, socket, head, { handler: options.handler, prepare: (d) => prepare(d, socket) });
  http1.on("upgrade", upgrade);
  if (options.direction === "http-proxy") http1.on("connect", upgrade);

  // HTTP/2 ------------------------------------------------------------------------------------
  const { server: http2, sessions } = createHttp2Server({
    handler: options.handler,
    maxHeaderBytes: options.maxHeaderBytes,
    maxHeaders: options.maxHeaders,
    maxResetsPerSecond: options.maxResetsPerSecond,
    idleTimeoutMs: options.keepAliveTimeoutMs ?? 60_000,
    prepare: (req, socket) => prepare(req, socket),
    onRapidReset: (session, resets) => {
      const s = session.socket;
      options.onRapidReset?.(`${s?.remoteAddress ?? "?"}:${s?.remotePort ?? 0}`, resets);
    },
  });

  // Accepting ---------------------------------------------------------------------------------
  const sockets = new Set<Socket>();
  const sniffing = new Set<Socket>();
  const toHttp1 = (socket: Duplex) => http1.emit("connection", socket);
  const toHttp2 = (socket: Duplex) => {
    if (draining) socket.destroy();
    else http2.emit("connection", socket);
  };

  /** Reads until the bytes are or are not the HTTP/2 preface, puts them back, hands the socket on. */
  const sniff = (socket: Socket) => {
    sniffing.add(socket);
    let seen: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), headersTimeout);
    const stop = () => {
      clearTimeout(timer);
      sniffing.delete(socket);
      socket.off("data", onData);
      socket.off("close", stop);
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && seen.length < PREFACE.length) return;
      stop();
      socket.pause();
      socket.unshift(seen);
      if (h2) {
        // node:http2 reads what is buffered on the socket itself; resuming would lose it.
        toHttp2(socket);
      } else {
        toHttp1(socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.once("close", stop);
  };

  const accept = (socket: Socket) => {
    if (protocol === "http1") toHttp1(socket);
    else if (protocol === "http2") toHttp2(socket);
    else sniff(socket);
  };

  let server: NetServer;
  if (options.tls) {
    const alpn = [...options.tls.alpn];
    server = createTlsServer({
      cert: options.tls.cert,
      key: options.tls.key,
      ALPNProtocols: alpn,
      ca: options.tls.clientCa,
      requestCert: options.tls.clientCa !== undefined,
      rejectUnauthorized: options.tls.clientCa !== undefined,
      handshakeTimeout: headersTimeout || 120_000,
    });
    server.on("secureConnection", (socket: TLSSocket) => {
      const chosen = socket.alpnProtocol;
      if (chosen === "h2") toHttp2(socket);
      else if (protocol !== "http2") toHttp1(socket);
      else socket.destroy(); // HTTP/2 over TLS needs ALPN h2 (RFC 9113 §3.2)
    });
    server.on("tlsClientError", () => {});
  } else {
    server = createNetServer({ noDelay: true }, accept);
  }
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: (timeoutMs = 0) =>
          new Promise<void>((done) => {
            draining = true;
            const timer = setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, timeoutMs);
            server.close(() => {
              clearTimeout(timer);
              http1.close();
              done();
            });
            // Idle HTTP/1.1 connections go now, busy ones after their response (draining
            // turns keep-alive off); HTTP/2 connections get GOAWAY and finish their streams.
            http1.closeIdleConnections();
            for (const session of sessions) session.close();
            for (const socket of sniffing) socket.destroy();
          }),
      });
    });
  });
}
