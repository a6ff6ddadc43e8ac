/**
 * The Deno listener: `Deno.serve` (hyper underneath, HTTP/1.1 and HTTP/2) hands each request
 * to the core as a `DownstreamRequest` and streams the `ProxyResponse` back. Also serves the
 * admin API's fetch app.
 *
 * Deno quirks handled here:
 * - `request.signal` aborts when the client leaves, but by default also after every
 *   successful response (and Deno prints a one-time notice on first use); only an abort
 *   before the response exists counts as a disconnect. `no-legacy-abort` (set in the repo's
 *   deno.json) removes both the late abort, which costs a dispatched event per request, and
 *   the notice. `info.completed` is no substitute: it does not settle when the client leaves
 *   before the response (checked on Deno 2.9).
 * - A handler cannot drop the connection before answering (a thrown error becomes Deno's own
 *   500), so a stream the core resets before its response gets a 502 with `connection: close`.
 * - `reusePort` is unstable in Deno 2: it needs `--unstable-net` (without it Deno exits, so
 *   this checks first).
 */

import type { ListenerHandle, RequestHandler } from "../../core/runtime-adapter.ts";
import { Deno, type HttpServer, type ServeHandlerInfo } from "./deno-api.ts";
import { localReply, OpenExchanges, type Peer, toDownstream, toResponse } from "./web-exchange.ts";

export interface DenoListenOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  /** Share the port with other processes (workers); Linux, `--unstable-net`. */
  reusePort?: boolean;
  /** PEM certificate chain and key: serve HTTPS (HTTP/2 through ALPN). */
  tls?: { cert: string; key: string };
}

/** Whether this Deno can bind with `reusePort` (the flag-gated unstable net APIs are present). */
export function canReusePort(): boolean {
  return typeof (Deno as unknown as { listenDatagram?: unknown }).listenDatagram === "function";
}

function start(options: {
  host: string;
  port: number;
  reusePort?: boolean;
  tls?: { cert: string; key: string };
  handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>;
}): Promise<HttpServer> {
  if (options.reusePort && !canReusePort()) {
    return Promise.reject(new Error("reusePort on Deno needs the --unstable-net flag (deno run -A --unstable-net ...)"));
  }
  return new Promise((resolve, reject) => {
    try {
      const server: HttpServer = Deno.serve({
        hostname: options.host,
        port: options.port,
        ...(options.reusePort ? { reusePort: true } : {}),
        ...options.tls,
        onListen: () => queueMicrotask(() => resolve(server)),
        onError: (err) => localReply(500, `weir: ${(err as Error)?.message ?? err}\n`),
        handler: options.handler,
      });
    } catch (err) {
      reject(new Error(`cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, { cause: err }));
    }
  });
}

/** Graceful stop: no new connections, in-flight ones finish; at `timeoutMs` `force` ends them. */
function stopper(server: HttpServer, force: () => void): (timeoutMs: number) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (timeoutMs) => {
    closing ??= new Promise<void>((done) => {
      let late: ReturnType<typeof setTimeout> | undefined;
      const timer = setTimeout(() => {
        force();
        // Whatever still holds the server after its exchanges were ended is not waited for long.
        late = setTimeout(done, 1_000);
      }, timeoutMs);
      server.shutdown().then(
        () => {
          clearTimeout(timer);
          clearTimeout(late);
          done();
        },
        () => done(),
      );
    });
    return closing;
  };
}

export async function listenDeno(options: DenoListenOptions): Promise<ListenerHandle> {
  const exchanges = new OpenExchanges();
  const scheme: Peer["scheme"] = options.tls ? "https" : "http";
  let localPort = options.port;
  const server = await start({
    ...options,
    async handler(request, info) {
      const controller = exchanges.open();
      const peer = {
        remoteAddress: info.remoteAddr.hostname,
        remotePort: info.remoteAddr.port,
        localAddress: options.host,
        localPort,
        scheme,
      };
      const downstream = toDownstream(request, peer, controller.signal);
      let responded = false;
      request.signal.addEventListener("abort", () => responded || controller.abort(new Error("client disconnected")), { once: true });
      try {
        const response = await options.handler(downstream);
        responded = true;
        return await toResponse(response, request.method, { onDone: () => exchanges.done(controller) });
      } catch {
        responded = true;
        exchanges.done(controller);
        return localReply(502, "stream reset\n", { connection: "close" });
      }
    },
  });
  localPort = server.addr.port;
  return { port: localPort, close: stopper(server, () => exchanges.abortAll("drain timeout")) };
}

/** Serves a fetch-style app (the admin API). */
export async function serveFetch(
  address: string,
  port: number,
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<ListenerHandle> {
  const server = await start({ host: address, port, handler: (request) => fetch(request) });
  return { port: server.addr.port, close: stopper(server, () => {}) };
}
