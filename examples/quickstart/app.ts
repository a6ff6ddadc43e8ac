/**
 * The quickstart's demo app: a tiny HTTP service the sidecar sits in front of.
 * `/api/hello` answers; `/api/flaky` fails every other request with 503 (the retry filter
 * turns that into a success); `/healthz` is public.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export async function startApp(port: number, host = "127.0.0.1"): Promise<{ server: Server; port: number }> {
  let flaky = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: object) =>
      res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
    const attempt = req.headers["x-weir-attempt"];
    if (req.url === "/healthz") return json(200, { ok: true });
    if (req.url?.startsWith("/api/flaky")) {
      flaky++;
      if (flaky % 2 === 1) return json(503, { error: "temporarily unavailable", attempt });
      return json(200, { message: "it worked this time", attempt });
    }
    if (req.url?.startsWith("/api/")) return json(200, { message: "hello from the app", path: req.url, attempt });
    json(404, { error: "not found" });
  });
  server.listen(port, host);
  await new Promise((resolve) => server.once("listening", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
