/**
 * The Bun listener: `Bun.serve` (uWebSockets underneath, HTTP/1.1) hands each request to the
 * core as a `DownstreamRequest` and streams the `ProxyResponse` back, through the same
 * web-standard conversions as Deno (../deno/web-exchange.ts). Also serves the admin API.
 *
 * Bun quirks handled here:
 * - `development` defaults to on unless NODE_ENV=production, and then errors are answered with
 *   an HTML debug page that quotes source code; it is always off here.
 * - Bun sends response headers with the first body chunk, so a stream that fails before any
 *   chunk resets the connection without a response: that is how a stream the core resets
 *   before its response is dropped (erroring with `undefined` keeps Bun from logging it).
 * - Bun refuses request bodies past 128 MiB by default; the proxy streams them, so no cap.
 */

import type { ListenerHandle, RequestHandler } from "../../core/runtime-adapter.ts";
import { localReply, OpenExchanges, type Peer, toDownstream, toResponse } from "../deno/web-exchange.ts";
import { Bun, type ServeOptions, type Server } from "./bun-api.ts";

export interface BunListenOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  /** Share the port with other processes (workers); Linux. */
  reusePort?: boolean;
  /** PEM certificate chain and key: serve HTTPS. */
  tls?: { cert: string; key: string };
}

/** Idle keep-alive connections close after this long (Node's keepAliveTimeout default is 5 s; weir's Node listener uses 60 s). */
const IDLE_TIMEOUT_S = 60;

/** A response whose body fails before its first chunk: Bun resets the connection without answering. */
function reset(): Response {
  return new Response(
    new ReadableStream({
      pull(controller) {
        controller.error(undefined);
      },
    }),
  );
}

function start(options: Omit<ServeOptions, "development" | "error">): Server {
  try {
    return Bun.serve({
      ...options,
      development: false,
      error: (err) => localReply(500, `weir: ${err?.message ?? err}\n`),
    });
  } catch (err) {
    throw new Error(`cannot listen on ${options.hostname}:${options.port}: ${(err as Error).message}`, { cause: err });
  }
}

/** Graceful stop: no new connections, in-flight ones finish; at `timeoutMs` `force` ends them and the rest are closed. */
function stopper(server: Server, force: () => void): (timeoutMs: number) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (timeoutMs) => {
    closing ??= new Promise<void>((done) => {
      const timer = setTimeout(() => {
        force();
        server.stop(true).then(done, done);
      }, timeoutMs);
      server.stop(false).then(
        () => {
          clearTimeout(timer);
          done();
        },
        () => done(),
      );
    });
    return closing;
  };
}

export async function listenBun(options: BunListenOptions): Promise<ListenerHandle> {
  const exchanges = new OpenExchanges();
  const scheme: Peer["scheme"] = options.tls ? "https" : "http";
  let localPort = options.port;
  const server = start({
    hostname: options.host,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    idleTimeout: IDLE_TIMEOUT_S,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    async fetch(request, srv) {
      const controller = exchanges.open();
      const ip = srv.requestIP(request);
      const peer = { remoteAddress: ip?.address ?? "", remotePort: ip?.port ?? 0, localAddress: options.host, localPort, scheme };
      const downstream = toDownstream(request, peer, controller.signal);
      // Bun aborts request.signal only when the client disconnects.
      request.signal.addEventListener("abort", () => controller.abort(new Error("client disconnected")), { once: true });
      try {
        const response = await options.handler(downstream);
        return await toResponse(response, request.method, { resetReason: undefined, onDone: () => exchanges.done(controller) });
      } catch {
        exchanges.done(controller);
        return reset();
      }
    },
  });
  localPort = server.port;
  return { port: localPort, close: stopper(server, () => exchanges.abortAll("drain timeout")) };
}

/** Serves a fetch-style app (the admin API). */
export async function serveFetch(
  address: string,
  port: number,
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<ListenerHandle> {
  const server = start({ hostname: address, port, fetch: (request) => fetch(request) });
  return { port: server.port, close: stopper(server, () => {}) };
}
