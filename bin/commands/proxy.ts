/**
 * `weir proxy -c weir.yaml`: runs the sidecar on Node. SIGHUP reloads the config, SIGTERM
 * and SIGINT drain (stop accepting, finish in-flight requests within drainTimeout) and exit 0.
 */

import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../../proxy/core/config/errors.ts";
import { runSidecar } from "../../proxy/core/sidecar.ts";
import { createNodeRuntime, watchFile } from "../../proxy/runtime/node/runtime.ts";

export async function proxy(args: string[]): Promise<number> {
  const i = args.findIndex((a) => a === "-c" || a === "--config");
  const file = i === -1 ? undefined : args[i + 1];
  if (!file) {
    console.error("usage: weir proxy -c <weir.yaml>");
    return 2;
  }
  const configPath = resolve(file);
  const baseDir = dirname(configPath);
  let sidecar: Awaited<ReturnType<typeof runSidecar>>;
  try {
    sidecar = await runSidecar(createNodeRuntime({ baseDir }), {
      configPath,
      baseDir,
      readTextFile: (p) => readFile(p, "utf8"),
      watch: args.includes("--no-watch") ? undefined : watchFile,
      logger: (e) =>
        (e.level === "error" || e.level === "critical" || e.level === "warn" ? console.error : console.log)(
          `[weir] ${e.level} ${e.filter === "-" ? "" : `filter ${e.filter}: `}${e.message}`,
        ),
    });
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `weir proxy: ${(err as Error).message}`);
    return 1;
  }
  process.on("SIGHUP", () => void sidecar.reload());
  return new Promise((done) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      void sidecar.shutdown().then(() => done(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
