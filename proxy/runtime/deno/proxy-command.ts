/**
 * `weir proxy -c weir.yaml` for runtimes that run TypeScript directly (Deno, Bun): the same
 * behaviour as bin/commands/proxy.ts on Node — SIGHUP reloads the config, SIGTERM and SIGINT
 * drain (stop accepting, finish in-flight requests within each listener's drainTimeout) and
 * exit 0 — with the runtime's own pieces passed in. Each runtime's main.ts is the entry.
 */

import { dirname, resolve } from "node:path";
import type { Logger } from "../../abi/types.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { WatchFile } from "../../core/config/watch.ts";
import type { RuntimeAdapter } from "../../core/runtime-adapter.ts";
import { runSidecar, type Sidecar } from "../../core/sidecar.ts";

export interface CommandHost {
  /** How to start this command, for the usage line. */
  usage: string;
  createRuntime(options: { baseDir: string; reusePort: boolean }): RuntimeAdapter;
  readTextFile(path: string): Promise<string>;
  watch: WatchFile;
  onSignal(signal: "SIGHUP" | "SIGINT" | "SIGTERM", handler: () => void): void;
}

/** The same log lines as the Node CLI: `[weir] <level> [filter <name>: ]<message>`. */
export const consoleLogger: Logger = (e) =>
  (e.level === "error" || e.level === "critical" || e.level === "warn" ? console.error : console.log)(
    `[weir] ${e.level} ${e.filter === "-" ? "" : `filter ${e.filter}: `}${e.message}`,
  );

/**
 * Runs the proxy until a drain signal; resolves with the exit code (2 usage, 1 start-up
 * failure, 0 after a drain).
 *
 * Flags: `-c`/`--config FILE`; `--no-watch` (reload only on SIGHUP); `--reuse-port` (bind
 * listeners with SO_REUSEPORT, so several copies of the process share the ports).
 */
export async function runProxyCommand(args: string[], host: CommandHost): Promise<number> {
  const rest = args[0] === "proxy" ? args.slice(1) : args;
  const i = rest.findIndex((a) => a === "-c" || a === "--config");
  const file = i === -1 ? undefined : rest[i + 1];
  if (!file) {
    console.error(`usage: ${host.usage} proxy -c <weir.yaml> [--no-watch] [--reuse-port]`);
    return 2;
  }
  const configPath = resolve(file);
  const baseDir = dirname(configPath);
  let sidecar: Sidecar;
  try {
    sidecar = await runSidecar(host.createRuntime({ baseDir, reusePort: rest.includes("--reuse-port") }), {
      configPath,
      baseDir,
      readTextFile: host.readTextFile,
      watch: rest.includes("--no-watch") ? undefined : host.watch,
      logger: consoleLogger,
    });
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `weir proxy: ${(err as Error).message}`);
    return 1;
  }
  const workers = sidecar.proxy.config.workers;
  if (typeof workers === "number" && workers > 1) {
    consoleLogger({
      level: "warn",
      filter: "-",
      message: `[proxy] workers: ${workers} is not supported on this runtime yet: this is one process; start ${workers} copies with --reuse-port to use more cores`,
    });
  }
  host.onSignal("SIGHUP", () => void sidecar.reload());
  return new Promise((done) => {
    let draining = false;
    const stop = () => {
      if (draining) return;
      draining = true;
      sidecar.shutdown().then(
        () => done(0),
        (err) => {
          console.error(`weir proxy: drain failed: ${(err as Error)?.message ?? err}`);
          done(1);
        },
      );
    };
    host.onSignal("SIGTERM", stop);
    host.onSignal("SIGINT", stop);
  });
}
