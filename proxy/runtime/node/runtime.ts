/**
 * The Node runtime adapter: listeners serving HTTP/1.1 and HTTP/2 (`listener.ts`), undici
 * pools upstream, node:fs, node:crypto, a disk cache for metered modules.
 */

import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ListenerHandle, RuntimeAdapter } from "../../core/runtime-adapter.ts";
import { createNodeConnector } from "./connector.ts";
import { nodeCrypto } from "./crypto.ts";
import { serveFetch } from "./fetch-server.ts";
import { logSink, watchFile } from "./files.ts";
import { listen } from "./listener.ts";
import { createWorkerMeter } from "./meter-worker.ts";
import { createDiskModuleCache } from "./module-cache.ts";

export interface NodeRuntimeOptions {
  baseDir: string;
  cacheDir?: string;
  /** Set in a worker process (`workers.ts`): the admin app goes to the primary instead of a port. */
  admin?: { adopt(fetch: (request: Request) => Response | Promise<Response>): ListenerHandle };
}

export function createNodeRuntime(options: NodeRuntimeOptions): RuntimeAdapter {
  return {
    name: "node",
    async listen(listener, handler) {
      const text = (path: string) => readFile(resolve(options.baseDir, path), "utf8");
      const tls = listener.tls;
      return listen({
        host: listener.address,
        port: listener.port,
        handler,
        protocol: listener.protocol,
        direction: listener.direction,
        tls: tls
          ? {
              cert: await text(tls.cert),
              key: await text(tls.key),
              alpn: tls.alpn,
              clientCa: tls.clientCa === null ? undefined : await text(tls.clientCa),
            }
          : undefined,
        maxHeaderBytes: listener.limits.maxHeadersSize,
        maxHeaders: listener.limits.maxHeaders,
        headersTimeoutMs: listener.limits.headersTimeout,
        onRapidReset: (remote, resets) =>
          console.error(
            `[weir] warn [proxy] listener ${listener.name}: closed HTTP/2 connection from ${remote} after ${resets} stream resets in a second`,
          ),
      });
    },
    // With workers, the admin API is the primary's: a worker hands its admin app to the primary.
    serve: options.admin ? async (_address, _port, fetch) => options.admin!.adopt(fetch) : serveFetch,
    connector: createNodeConnector(options.baseDir),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    resolvePath: (base, path) => resolve(base, path),
    clock: {
      now: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
    crypto: nodeCrypto,
    moduleCache: createDiskModuleCache(options.cacheDir ?? join(tmpdir(), "weir-module-cache")),
    meter: createWorkerMeter(),
    logSink: (path) => logSink(options.baseDir, path),
  };
}

export { watchFile };
