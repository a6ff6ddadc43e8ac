/**
 * What the Node and Bun adapters do with files through node:fs (Bun implements it natively):
 * access-log sinks and watching the config file.
 */

import { createWriteStream, watch as fsWatch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { WatchFile } from "../../core/config/watch.ts";

/** Where access-log lines go: "stdout", "stderr", or a file (relative to `baseDir`) appended to. */
export function logSink(baseDir: string, path: string): (line: string) => void {
  const terminated = (line: string) => (line.endsWith("\n") ? line : `${line}\n`);
  if (path === "stdout") return (line) => void process.stdout.write(terminated(line));
  if (path === "stderr") return (line) => void process.stderr.write(terminated(line));
  const stream = createWriteStream(resolve(baseDir, path), { flags: "a" });
  return (line) => void stream.write(terminated(line));
}

/** Watches a config file through its folder: editors and ConfigMap updates replace the file rather than write it. */
export const watchFile: WatchFile = (path, onEvent) => {
  const name = basename(path);
  const watcher = fsWatch(dirname(resolve(path)), (_event, file) => {
    if (file === null || file === name || file === "..data") onEvent();
  });
  return { close: () => watcher.close() };
};
