/**
 * The Bun runtime adapter: `Bun.serve` listeners, Bun's `fetch` upstream, `Bun.file`, and
 * node:fs (log sinks, config watching: `../node/files.ts`), node:crypto and the disk module
 * cache where Bun implements the Node API natively.
 */

import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { ListenerConfig } from "../../core/config/types.ts";
import type { RuntimeAdapter } from "../../core/runtime-adapter.ts";
import { logSink, watchFile } from "../node/files.ts";
import { createWorkerMeter } from "../node/meter-worker.ts";
import { createDiskModuleCache } from "../node/module-cache.ts";
import { Bun } from "./bun-api.ts";
import { createBunConnector } from "./connector.ts";
import { bunCrypto } from "./crypto.ts";
import { listenBun, serveFetch } from "./http-server.ts";

export interface BunRuntimeOptions {
  /** The config file's folder: relative filter, certificate and log paths start here. */
  baseDir: string;
  /** Where metered modules are cached (default: the OS temp folder). */
  cacheDir?: string;
  /** Bind listeners with `reusePort`, so several processes share each port. */
  reusePort?: boolean;
}

async function listenerTls(listener: ListenerConfig, baseDir: string): Promise<{ cert: string; key: string } | undefined> {
  const tls = listener.tls;
  if (tls === null) return undefined;
  if (tls.clientCa !== null) {
    throw new Error(
      `listener ${listener.name}: tls.clientCa (client certificates) is not supported on Bun: Bun.serve does not expose them`,
    );
  }
  const read = (path: string) => readFile(isAbsolute(path) ? path : join(baseDir, path), "utf8");
  return { cert: await read(tls.cert), key: await read(tls.key) };
}

export function createBunRuntime(options: BunRuntimeOptions): RuntimeAdapter {
  const { baseDir } = options;
  return {
    name: "bun",
    async listen(listener, handler) {
      if (listener.protocol === "http2") {
        throw new Error(
          `listener ${listener.name}: protocol http2 is not supported on Bun: Bun.serve speaks HTTP/1.1 only (use auto or http1)`,
        );
      }
      return listenBun({
        host: listener.address,
        port: listener.port,
        handler,
        reusePort: options.reusePort,
        tls: await listenerTls(listener, baseDir),
      });
    },
    serve: serveFetch,
    connector: createBunConnector(baseDir),
    readFile: (path) => Bun.file(path).bytes(),
    resolvePath: (base, path) => resolve(base, path),
    clock: {
      now: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    crypto: bunCrypto,
    moduleCache: createDiskModuleCache(options.cacheDir ?? join(tmpdir(), "weir-module-cache")),
    meter: createWorkerMeter(),
    logSink: (path) => logSink(options.baseDir, path),
  };
}

export { watchFile };
