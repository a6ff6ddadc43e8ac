/**
 * Hot reload of the config file. The file is watched through an injected function (each
 * runtime adapter supplies one), changes are debounced, and a new config replaces the old one
 * only when it is valid and the caller's `onChange` accepted it; otherwise the old config keeps
 * serving and the error goes to `onError` and `lastError` (for the log and the admin API).
 * SIGHUP belongs to the caller: call `reload()` from its handler.
 */

import { ConfigError } from "./errors.ts";
import { loadConfig, type ReadTextFile } from "./load.ts";
import type { ProxyConfig } from "./types.ts";

/**
 * Calls `onEvent` whenever the file at `path` may have changed, until closed. Adapters should
 * watch the file's directory: editors and Kubernetes ConfigMaps replace the file rather than
 * write it, which ends a watch on the old inode.
 */
export type WatchFile = (path: string, onEvent: () => void) => { close(): void };

export interface WatchConfigOptions {
  readFile: ReadTextFile;
  watch: WatchFile;
  /** Applies a new, valid config. Throwing (or rejecting) keeps the old one and reports the error. */
  onChange(config: ProxyConfig): void | Promise<void>;
  /** A change could not be loaded or applied; the old config is still serving. */
  onError(error: ConfigError): void;
  /** Quiet time after the last file event before reloading (default 100 ms). */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** The config now serving. */
  readonly config: ProxyConfig;
  /** Why the latest reload failed; undefined once a reload succeeds. */
  readonly lastError: ConfigError | undefined;
  /** Reloads now (e.g. on SIGHUP). Resolves true when a new config was applied, false when invalid or unchanged. */
  reload(): Promise<boolean>;
  /** Stops watching; pending and later events are ignored. */
  close(): void;
}

/**
 * Loads the config at `path` and keeps it current.
 *
 * @throws {ConfigError} when the first load fails: there is no old config to keep serving.
 *
 * @example
 * ```ts
 * import { watch } from "node:fs";
 * import { readFile } from "node:fs/promises";
 * import { dirname } from "node:path";
 * const watcher = await watchConfig("weir.yaml", {
 *   readFile: (p) => readFile(p, "utf8"),
 *   watch: (p, onEvent) => watch(dirname(p), onEvent),
 *   onChange: (config) => proxy.apply(config),
 *   onError: (error) => log.error(error.message),
 * });
 * process.on("SIGHUP", () => void watcher.reload());
 * ```
 */
export async function watchConfig(path: string, options: WatchConfigOptions): Promise<ConfigWatcher> {
  const debounceMs = options.debounceMs ?? 100;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: ProxyConfig;
  let currentJson = "";
  let lastError: ConfigError | undefined;
  // Watch before the first read, so a change made while reading is not missed; reloads it
  // triggers queue up behind the first load.
  const handle = options.watch(path, () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  });
  const first = loadConfig(path, options);
  let queue: Promise<unknown> = first.catch(() => undefined);
  try {
    current = await first;
    currentJson = JSON.stringify(current);
  } catch (err) {
    closed = true;
    clearTimeout(timer);
    handle.close();
    throw err;
  }

  async function reloadOnce(): Promise<boolean> {
    if (closed) return false;
    try {
      const next = await loadConfig(path, options);
      const json = JSON.stringify(next);
      const changed = json !== currentJson; // comment-only edits and repeated events change nothing
      if (changed) await options.onChange(next);
      [current, currentJson, lastError] = [next, json, undefined];
      return changed;
    } catch (err) {
      lastError = err instanceof ConfigError ? err : applyError(path, err);
      options.onError(lastError);
      return false;
    }
  }

  // Reloads run one at a time, in the order asked for.
  function reload(): Promise<boolean> {
    const next = queue.then(reloadOnce);
    queue = next.catch(() => false); // a throwing onError must not stall later reloads
    return next;
  }

  return {
    get config() {
      return current;
    },
    get lastError() {
      return lastError;
    },
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      handle.close();
    },
  };
}

function applyError(path: string, err: unknown): ConfigError {
  const message = `cannot apply the new config: ${(err as Error)?.message ?? String(err)}`;
  return new ConfigError(path, [{ file: path, path: "", line: 0, column: 0, message }], { cause: err });
}
