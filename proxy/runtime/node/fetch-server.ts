/**
 * Serves a fetch-style app (`(Request) => Response`, e.g. the Hono admin app) on node:http,
 * for low-volume endpoints where the Request/Response objects' cost does not matter.
 */

import { createServer } from "node:http";
import type { ListenerHandle } from "../../core/runtime-adapter.ts";
import { listenGracefully } from "./http-server.ts";

export function serveFetch(
  address: string,
  port: number,
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<ListenerHandle> {
  const server = createServer(async (req, res) => {
    try {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(`http://${req.headers.host ?? `${address}:${port}`}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: hasBody ? (req as unknown as ReadableStream) : undefined,
        ...(hasBody ? { duplex: "half" } : {}),
      } as RequestInit);
      const response = await fetch(request);
      const flat: string[] = [];
      response.headers.forEach((value, name) => {
        flat.push(name, value);
      });
      res.writeHead(response.status, flat);
      res.end(req.method === "HEAD" ? undefined : new Uint8Array(await response.arrayBuffer()));
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`admin error: ${(err as Error).message}\n`);
    }
  });
  return listenGracefully(server, port, address);
}
