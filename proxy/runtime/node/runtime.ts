/**
 * The Node runtime adapter: node:http listeners, undici pools upstream, node:fs, node:crypto,
 * a disk cache for metered modules.
 */

import { createWriteStream, watch as fsWatch } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { WatchFile } from "../../core/config/watch.ts";
import type { RuntimeAdapter } from "../../core/runtime-adapter.ts";
import { createNodeConnector } from "./connector.ts";
import { nodeCrypto } from "./crypto.ts";
import { serveFetch } from "./fetch-server.ts";
import { listenNode } from "./http-server.ts";
import { createDiskModuleCache } from "./module-cache.ts";

export function createNodeRuntime(options: { baseDir: string; cacheDir?: string }): RuntimeAdapter {
  return {
    name: "node",
    async listen(listener, handler) {
      return listenNode({
        host: listener.address,
        port: listener.port,
        handler,
        maxHeaderBytes: listener.limits.maxHeadersSize,
        headersTimeoutMs: listener.limits.headersTimeout,
      });
    },
    serve: serveFetch,
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
    logSink(path) {
      const terminated = (line: string) => (line.endsWith("\n") ? line : `${line}\n`);
      if (path === "stdout") return (line) => void process.stdout.write(terminated(line));
      if (path === "stderr") return (line) => void process.stderr.write(terminated(line));
      const stream = createWriteStream(resolve(options.baseDir, path), { flags: "a" });
      return (line) => void stream.write(terminated(line));
    },
  };
}

/** Watches a config file through its folder: editors and ConfigMap updates replace the file rather than write it. */
export const watchFile: WatchFile = (path, onEvent) => {
  const name = basename(path);
  const watcher = fsWatch(dirname(resolve(path)), (_event, file) => {
    if (file === null || file === name || file === "..data") onEvent();
  });
  return { close: () => watcher.close() };
};
