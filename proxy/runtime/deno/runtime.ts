/**
 * The Deno runtime adapter: `Deno.serve` listeners, `fetch` with one `Deno.HttpClient` pool per
 * endpoint upstream, `Deno.readFile`, `Deno.watchFs`, and the node:crypto host crypto and disk
 * module cache that Deno's Node compatibility runs unchanged.
 */

import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { ListenerConfig } from "../../core/config/types.ts";
import type { WatchFile } from "../../core/config/watch.ts";
import type { RuntimeAdapter } from "../../core/runtime-adapter.ts";
import { createWorkerMeter } from "../node/meter-worker.ts";
import { createDiskModuleCache } from "../node/module-cache.ts";
import { createDenoConnector } from "./connector.ts";
import { denoCrypto } from "./crypto.ts";
import { Deno, type Writer } from "./deno-api.ts";
import { listenDeno, serveFetch } from "./http-server.ts";
import { TimerLists } from "./timer-lists.ts";

export interface DenoRuntimeOptions {
  /** The config file's folder: relative filter, certificate and log paths start here. */
  baseDir: string;
  /** Where metered modules are cached (default: the OS temp folder). */
  cacheDir?: string;
  /** Bind listeners with `reusePort`, so several processes share each port (needs `--unstable-net`). */
  reusePort?: boolean;
}

/** Writes lines through `writer`, batching those that arrive while a write is in progress. */
export function lineWriter(writer: () => Writer | Promise<Writer>): (line: string) => void {
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let writing = false;
  async function flush(): Promise<void> {
    writing = true;
    try {
      const out = await writer();
      while (pending.length > 0) {
        let bytes = encoder.encode(pending.join(""));
        pending = [];
        while (bytes.byteLength > 0) bytes = bytes.subarray(await out.write(bytes));
      }
    } catch {
      pending = []; // a sink that cannot be written loses its lines, never the request path
    } finally {
      writing = false;
    }
  }
  return (line) => {
    pending.push(line.endsWith("\n") ? line : `${line}\n`);
    if (!writing) void flush();
  };
}

async function listenerTls(listener: ListenerConfig, baseDir: string): Promise<{ cert: string; key: string } | undefined> {
  const tls = listener.tls;
  if (tls === null) return undefined;
  if (tls.clientCa !== null) {
    throw new Error(
      `listener ${listener.name}: tls.clientCa (client certificates) is not supported on Deno: Deno.serve cannot verify them`,
    );
  }
  const read = (path: string) => Deno.readTextFile(isAbsolute(path) ? path : join(baseDir, path));
  return { cert: await read(tls.cert), key: await read(tls.key) };
}

export function createDenoRuntime(options: DenoRuntimeOptions): RuntimeAdapter {
  const { baseDir } = options;
  return {
    name: "deno",
    async listen(listener, handler) {
      return listenDeno({
        host: listener.address,
        port: listener.port,
        handler,
        reusePort: options.reusePort,
        tls: await listenerTls(listener, baseDir),
      });
    },
    serve: serveFetch,
    connector: createDenoConnector(baseDir),
    readFile: (path) => Deno.readFile(path),
    resolvePath: (base, path) => resolve(base, path),
    // Deno's timers are ops into Rust; one native timer per duration (timer-lists.ts).
    clock: new TimerLists({
      now: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    }),
    crypto: denoCrypto,
    moduleCache: createDiskModuleCache(options.cacheDir ?? join(tmpdir(), "weir-module-cache")),
    meter: createWorkerMeter(),
    logSink(path) {
      if (path === "stdout") return lineWriter(() => Deno.stdout);
      if (path === "stderr") return lineWriter(() => Deno.stderr);
      const file = Deno.open(resolve(baseDir, path), { append: true, create: true, write: true });
      return lineWriter(() => file);
    },
  };
}

/** Watches a config file through its folder: editors and ConfigMap updates replace the file rather than write it. */
export const watchFile: WatchFile = (path, onEvent) => {
  const target = resolve(path);
  const name = basename(target);
  const watcher = Deno.watchFs(dirname(target), { recursive: false });
  void (async () => {
    try {
      for await (const event of watcher) {
        if (event.paths.some((p) => basename(p) === name || basename(p) === "..data")) onEvent();
      }
    } catch {
      // closed
    }
  })();
  return { close: () => watcher.close() };
};
