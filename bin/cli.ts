/**
 * The `weir` command line: one entry point, one small module per command.
 */

import { readFileSync } from "node:fs";
import { suggest } from "../proxy/core/config/suggest.ts";
import { build } from "./commands/build.ts";
import { demo } from "./commands/demo.ts";
import { init } from "./commands/init.ts";
import { inspect } from "./commands/inspect.ts";
import { proxy } from "./commands/proxy.ts";
import { quickstart } from "./commands/quickstart.ts";
import { validate } from "./commands/validate.ts";

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  quickstart: {
    summary: "run the demo app behind weir on 127.0.0.1:10000 with router, auth, ratelimit and retry (npm start)",
    run: () => quickstart(),
  },
  proxy: { summary: "run the sidecar: weir proxy -c weir.yaml (SIGHUP reloads, SIGTERM drains)", run: proxy },
  init: { summary: "scaffold a filter project (AssemblyScript, a vitest test, a README) that builds and passes straight away", run: init },
  build: { summary: "compile a filter project, check it against the host, write build/<name>.wasm and its manifest", run: build },
  demo: { summary: "run examples/hello-filter over sample requests in weir's host and show what it changed", run: () => demo() },
  validate: { summary: "check a proxy config (-c weir.yaml): every problem with file:line:column and a did-you-mean", run: validate },
  inspect: { summary: "show a filter module's ABI, imports and callbacks, and every problem that would stop it loading", run: inspect },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "weir — a service-mesh sidecar for JavaScript runtimes, hosting proxy-wasm filters",
    "",
    "usage: weir <command> [arguments]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "options: --help, --version",
  ].join("\n");
}

/** Runs the CLI with `args` (without the program name); resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const close = suggest(name, Object.keys(COMMANDS));
    console.error(`weir: unknown command "${name}"${close ? ` (did you mean "${close}"?)` : ""}\n\n${help()}`);
    return 2;
  }
  return command.run(rest);
}
