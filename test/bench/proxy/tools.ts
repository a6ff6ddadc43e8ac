/**
 * The native tools the proxy benchmark needs (wrk, h2load, nginx, haproxy, taskset) and the
 * machine it runs on. A missing tool is installed from Debian with `apt-get install -y`
 * (after `apt-get update` when the first try fails); what still cannot be found is reported
 * so the benchmark can skip what depends on it.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.ts";

/** A tool and the Debian package that provides it. */
const TOOLS = {
  wrk: { packages: ["wrk"], version: ["-v"] },
  h2load: { packages: ["nghttp2-client"], version: ["--version"] },
  nginx: { packages: ["nginx-light", "nginx"], version: ["-v"] },
  haproxy: { packages: ["haproxy"], version: ["-v"] },
  taskset: { packages: ["util-linux"], version: ["--version"] },
} as const;

export type Tool = keyof typeof TOOLS;

export interface ToolReport {
  /** Absolute paths of the tools found (after installing what was missing). */
  found: Partial<Record<Tool, string>>;
  /** One line per tool that is still missing, saying what was tried. */
  missing: Partial<Record<Tool, string>>;
  /** What was installed, for the printout. */
  installed: string[];
}

export function which(name: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  // nginx and haproxy live in /usr/sbin, which a non-login PATH may lack.
  for (const dir of ["/usr/sbin", "/sbin", "/usr/local/sbin"]) {
    const path = join(dir, name);
    if (spawnSync("test", ["-x", path]).status === 0) return path;
  }
  return undefined;
}

/** `apt-get install -y <pkg>`, as root or through passwordless sudo; returns the error text on failure. */
function aptGet(args: string[]): string | undefined {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ["apt-get", args] : ["sudo", ["-n", "apt-get", ...args]];
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 300_000,
  });
  if (r.status === 0) return undefined;
  return (r.error?.message ?? r.stderr ?? "").trim().split("\n").at(-1) || `exit ${r.status}`;
}

/** Finds each tool, installing the missing ones from Debian. */
export function ensureTools(): ToolReport {
  const report: ToolReport = { found: {}, missing: {}, installed: [] };
  let updated = false;
  for (const [tool, { packages }] of Object.entries(TOOLS) as [Tool, (typeof TOOLS)[Tool]][]) {
    let path = which(tool);
    let lastError = "";
    for (const pkg of packages) {
      if (path) break;
      console.log(`installing ${pkg} (for ${tool}) with apt-get…`);
      let error = aptGet(["install", "-y", "--no-install-recommends", pkg]);
      if (error && !updated) {
        updated = true;
        aptGet(["update"]);
        error = aptGet(["install", "-y", "--no-install-recommends", pkg]);
      }
      path = which(tool);
      if (path) report.installed.push(pkg);
      else lastError = `apt-get install ${pkg}: ${error ?? "installed, but no executable"}`;
    }
    if (path) report.found[tool] = path;
    else report.missing[tool] = lastError;
  }
  return report;
}

/** First line of `<tool> <version flag>` (stdout or stderr: nginx and wrk print to stderr). */
export function toolVersion(tool: Tool, path: string): string {
  const r = spawnSync(path, [...TOOLS[tool].version], { encoding: "utf8", timeout: 10_000 });
  const text = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim();
  return (
    text
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? "?"
  );
}

function runtimeVersion(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", timeout: 30_000 }).trim().split("\n")[0];
  } catch {
    return "not available";
  }
}

export const DENO = join(REPO_ROOT, "node_modules/deno/deno");
export const BUN = join(REPO_ROOT, "node_modules/bun/bin/bun.exe");

/** The lines of the "machine" section, as in proxy-hop-baselines.md §1. */
export function machineInfo(tools: ToolReport): string[] {
  const model = cpus()[0]?.model ?? "?";
  let kernel = "?";
  let os = "?";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    os = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "?";
  } catch {
    // Not Linux enough to say.
  }
  const lines = [
    `machine: ${cpus().length} CPU "${model}", ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, kernel ${kernel}, ${os}`,
    `node ${process.version} (V8 ${process.versions.v8}), deno ${runtimeVersion(DENO, ["--version"]).replace(/^deno /, "")}, bun ${runtimeVersion(BUN, ["--version"])}`,
  ];
  const versions = (Object.keys(TOOLS) as Tool[])
    .filter((t) => t !== "taskset")
    .map((t) => (tools.found[t] ? `${t}: ${toolVersion(t, tools.found[t]!)}` : `${t}: missing`));
  lines.push(versions.join("; "));
  lines.push(loadLine());
  return lines;
}

/** The load average before the benchmark starts anything: other work on the machine inflates every figure. */
export function loadLine(): string {
  const [one, five] = loadavg();
  const busy = one > 0.5 ? ` — the machine is busy with other work (${cpus().length} CPUs): expect inflated, noisy figures` : "";
  return `load average before starting: ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min)${busy}`;
}
