/**
 * What the cross-runtime proxy suite (proxy-e2e.test.ts) and the rough benchmark
 * (proxy-bench.ts) share: starting `weir proxy` on Node, Deno or Bun as a child process, a real
 * upstream on node:http, free loopback ports, a plain HTTP/1.1 client, and bounded waits.
 * Everything binds 127.0.0.1 only.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export type ProxyRuntime = "node" | "deno" | "bun";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** How to start `weir proxy -c <config>` on each runtime, straight from the repo's devDependencies. */
export function proxyCommand(runtime: ProxyRuntime, config: string): { command: string; args: string[]; needs: string; missing: string } {
  switch (runtime) {
    case "node":
      return {
        command: process.execPath,
        args: [join(ROOT, "bin/weir.js"), "proxy", "-c", config],
        needs: join(ROOT, "dist/bin/cli.js"),
        missing: "dist/ is not built: run `npx tsc -p tsconfig.build.json` (npm run build)",
      };
    case "deno":
      return {
        command: join(ROOT, "node_modules/deno/deno"),
        args: ["run", "-A", join(ROOT, "proxy/runtime/deno/main.ts"), "proxy", "-c", config],
        needs: join(ROOT, "node_modules/deno/deno"),
        missing: "deno's binary is missing: run npm install",
      };
    case "bun":
      return {
        command: join(ROOT, "node_modules/bun/bin/bun.exe"),
        args: [join(ROOT, "proxy/runtime/bun/main.ts"), "proxy", "-c", config],
        needs: join(ROOT, "node_modules/bun/bin/bun.exe"),
        missing: "bun's binary is missing: run node node_modules/bun/install.js",
      };
  }
}

/** A running proxy process: its output so far (for failure messages) and how it ended. */
export interface ProxyProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(): void;
}

export function startProxy(runtime: ProxyRuntime, config: string): ProxyProcess {
  const spec = proxyCommand(runtime, config);
  if (!existsSync(spec.needs)) throw new Error(spec.missing);
  const child = spawn(spec.command, spec.args, {
    cwd: ROOT,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((done) => {
    child.once("exit", (code) => done(code));
    child.once("error", (err) => {
      keep(Buffer.from(`cannot start ${spec.command}: ${err.message}\n`));
      done(-1);
    });
  });
  return {
    child,
    output: () => output,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** A loopback port nobody listens on right now (bound to 0, read, closed). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One HTTP/1.1 exchange on a fresh connection (no keep-alive across proxy restarts), bounded by `timeoutMs`. */
export function http(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((done, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: init.method ?? "GET",
        headers: init.headers,
        agent: false,
        timeout: init.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          done({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${init.method ?? "GET"} ${path} on port ${port}: no answer in ${init.timeoutMs ?? 10_000} ms`)),
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** What the upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The app behind the proxy: `/app/echo` answers with the request body, `/app/slow` after
 * `slowMs` (noting a connection closed before that), `/app/gzip` with {@link GZIP_TEXT} gzipped whatever the request accepts, anything
 * else with a line naming the request. Every request is recorded.
 */
export interface Upstream {
  readonly server: Server;
  readonly port: number;
  readonly seen: SeenRequest[];
  /** Resolves when the next `/app/slow` request arrives. */
  slowArrived(): Promise<void>;
  /** Resolves when the next `/app/slow` request's connection closes before its answer was sent. */
  slowCancelled(): Promise<void>;
  close(): Promise<void>;
}

export const GZIP_TEXT = "compressed hello ".repeat(64);

export async function startUpstream(options: { slowMs?: number } = {}): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  let onSlow: (() => void) | undefined;
  let onSlowCancelled: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (req.url?.startsWith("/app/echo")) {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, "x-app": "yes" }).end(body);
      } else if (req.url?.startsWith("/app/gzip")) {
        const zipped = gzipSync(GZIP_TEXT);
        res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip", "content-length": zipped.length }).end(zipped);
      } else if (req.url?.startsWith("/app/slow")) {
        onSlow?.();
        res.on("close", () => {
          if (!res.writableEnded) onSlowCancelled?.();
        });
        setTimeout(() => res.writeHead(200, { "content-type": "text/plain", "x-app": "yes" }).end("slow done"), options.slowMs ?? 800);
      } else {
        res.writeHead(200, { "content-type": "text/plain", "x-app": "yes" }).end(`app saw ${req.method} ${req.url}`);
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    server,
    port: (server.address() as { port: number }).port,
    seen,
    slowArrived: () =>
      new Promise((r) => {
        onSlow = r;
      }),
    slowCancelled: () =>
      new Promise((r) => {
        onSlowCancelled = r;
      }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
