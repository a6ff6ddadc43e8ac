/**
 * The Node listener: node:http turns each request into a core `DownstreamRequest` and writes
 * the `ProxyResponse` back, with backpressure, keeping HTTP/1.1 header case toward the app
 * (rawHeaders) and resetting the connection when the core says the stream must be reset.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap } from "../../abi/header-map.ts";
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
}

export interface NodeListener {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting and resolves once open connections finished, closing the rest after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

function toDownstream(req: IncomingMessage, res: ServerResponse): DownstreamRequest {
  const headers = new HeaderMap();
  const headerCase = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower !== name) headerCase.set(lower, name);
    headers.add(lower, raw[i + 1]);
  }
  const length = req.headers["content-length"];
  const hasBody = (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
  const controller = new AbortController();
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

async function write(res: ServerResponse, response: ProxyResponse): Promise<void> {
  const flat: string[] = [];
  const h = response.headers;
  for (let i = 0; i < h.size; i++) flat.push(h.nameAt(i), h.valueAt(i));
  res.writeHead(response.status, flat);
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  for await (const chunk of body) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
  }
  const trailers = response.trailers();
  if (trailers !== undefined) res.addTrailers(trailers.entries());
  res.end();
}

export function listenNode(options: NodeListenerOptions): Promise<NodeListener> {
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 60 * 1024,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: 0,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
    },
    (req, res) => {
      options
        .handler(toDownstream(req, res))
        .then((response) => write(res, response))
        .catch(() => res.destroy());
    },
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: (timeoutMs = 0) =>
          new Promise((done) => {
            // Stop accepting; idle keep-alive connections go now, busy ones when their response
            // ends (Node closes them after the response), and whatever is left at the deadline.
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
