/**
 * `weir demo` (what `npm start` runs until the proxy exists): loads examples/hello-filter
 * into weir's real host and runs two sample requests through it, printing what the filter
 * changed. Nothing is mocked: the filter is compiled, metered and sandboxed as in production.
 */

import { createHost, HeaderMap, type LocalReply } from "../../proxy/abi/index.ts";
import { nodeCrypto } from "../../proxy/runtime/node/crypto.ts";
import { buildHelloFilter, HELLO_FILTER_CONFIG } from "./hello-filter.ts";

function diff(before: [string, string][], after: HeaderMap): string[] {
  const key = ([k, v]: [string, string]) => `${k}: ${v}`;
  const was = new Set(before.map(key));
  const now = new Set(after.entries().map(key));
  return [...[...now].filter((l) => !was.has(l)).map((l) => `    + ${l}`), ...[...was].filter((l) => !now.has(l)).map((l) => `    - ${l}`)];
}

export async function demo(out: (line: string) => void = console.log): Promise<number> {
  out(`weir demo — a proxy-wasm filter running in weir's host on ${runtimeName()}\n`);
  const build = await buildHelloFilter();
  const host = createHost({ crypto: nodeCrypto, logger: (e) => out(`  [${e.level}] ${e.filter}: ${e.message}`) });
  const started = performance.now();
  const filter = await host.loadFilter({ name: "hello", rootId: "hello", module: build.bytes, config: HELLO_FILTER_CONFIG });
  const loadMs = performance.now() - started;
  out(
    `filter "hello" (examples/hello-filter, ${(build.bytes.byteLength / 1024).toFixed(1)} KiB${build.cached ? ", cached build" : ""}): ` +
      `ABI ${filter.abi}, sha256 ${filter.digest.slice(0, 12)}…, loaded in ${loadMs.toFixed(0)} ms with CPU metering and a 64 MiB memory cap`,
  );
  out(`config: ${HELLO_FILTER_CONFIG}\n`);

  const requests: [string, string][][] = [
    [
      [":method", "GET"],
      [":path", "/hello"],
      [":authority", "app.local"],
      ["user-agent", "curl/8.5.0"],
      ["x-internal-token", "s3cr3t"],
    ],
    [
      [":method", "DELETE"],
      [":path", "/admin/users/42"],
      [":authority", "app.local"],
    ],
  ];
  for (const request of requests) {
    let reply: LocalReply | undefined;
    const stream = filter.createStream({ sendLocalReply: (r) => void (reply = r) });
    const headers = new HeaderMap(request);
    stream.onRequestHeaders(headers, true);
    out(`${headers.get(":method") ?? "?"} ${headers.get(":path") ?? "?"}`);
    if (reply) {
      out(
        `  → answered by the filter: ${reply.status} ${JSON.stringify(new TextDecoder().decode(reply.body).trim())} (details: ${reply.details})\n`,
      );
      stream.complete();
      continue;
    }
    out("  request headers");
    for (const line of diff(request, headers)) out(line);
    const responseBefore: [string, string][] = [
      [":status", "200"],
      ["content-type", "text/plain"],
    ];
    const response = new HeaderMap(responseBefore);
    stream.onResponseHeaders(response, true);
    out("  response headers");
    for (const line of diff(responseBefore, response)) out(line);
    stream.complete();
    out("  → continued to the upstream and back\n");
  }

  const n = 20_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const stream = filter.createStream({});
    stream.onRequestHeaders(new HeaderMap(requests[0]), true);
    stream.onResponseHeaders(new HeaderMap([[":status", "200"]]), true);
    stream.complete();
  }
  out(
    `${n} more streams through the filter: ${(((performance.now() - t) * 1000) / n).toFixed(1)} µs each (npm run bench:host compares runtimes)`,
  );
  out("next: npm test · npm run test:runtimes · npm run bench:host · npx weir inspect <filter.wasm>");
  return filter.state === "ready" ? 0 : 1;
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  return `Node ${process.version}`;
}
