/**
 * `weir proxy -c weir.yaml`: runs the sidecar on Node. SIGHUP reloads the config, SIGTERM
 * and SIGINT drain (stop accepting, finish in-flight requests within drainTimeout) and exit 0.
 * With `workers` above one the process is the primary of a node:cluster group (workers.ts).
 */

import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../../proxy/core/config/errors.ts";
import { runSidecar } from "../../proxy/core/sidecar.ts";
import { createNodeRuntime, watchFile } from "../../proxy/runtime/node/runtime.ts";
import { isWorker, planWorkers, runPrimary, serveWorker, workerAdmin, workerFailed } from "../../proxy/runtime/node/workers.ts";

export async function proxy(args: string[]): Promise<number> {
  const i = args.findIndex((a) => a === "-c" || a === "--config");
  const file = i === -1 ? undefined : args[i + 1];
  if (!file) {
    console.error("usage: weir proxy -c <weir.yaml>");
    return 2;
  }
  const configPath = resolve(file);
  const baseDir = dirname(configPath);
  const worker = isWorker();
  if (!worker) {
    const plan = await planWorkers(configPath, (p) => readFile(p, "utf8"));
    if (plan) return runPrimary(plan.config, plan.count);
  }
  const admin = worker ? workerAdmin() : undefined;
  let sidecar: Awaited<ReturnType<typeof runSidecar>>;
  try {
    sidecar = await runSidecar(createNodeRuntime({ baseDir, admin }), {
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
    return worker ? workerFailed(1) : 1;
  }
  if (admin) return serveWorker(sidecar, admin);
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
