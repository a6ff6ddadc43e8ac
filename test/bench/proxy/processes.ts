/**
 * Every process the proxy benchmark starts goes through one `ProcessGroup`: servers pinned to
 * the server CPU, load generators to the load CPU (`taskset` execs, so the pid we hold is the
 * program's own), each with a log file, and all of them stopped by pid at the end — on
 * success, on an error, and on Ctrl-C. Nothing is ever killed by name.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { allStats, childrenOf, type ProcStat, readStat } from "./proc.ts";

/** A process the group started. */
export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Where its stdout and stderr go. */
  log: string;
  /** Resolves with the exit code (or signal name) when it ends. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** Its output so far (the last 64 KiB), once what it wrote before exiting has been read. */
  output(): Promise<string>;
}

const OUTPUT_TAIL = 64 * 1024;

export interface SpawnOptions {
  /** CPU list for `taskset -c`, or undefined not to pin. */
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Log file path (stdout and stderr together). */
  log: string;
}

export class ProcessGroup {
  readonly #running = new Set<Started>();
  #closed = false;

  /** Starts `command args…`, pinned when `options.cpus` is set. */
  start(name: string, command: string, args: string[], options: SpawnOptions): Started {
    const child = this.#spawn(name, command, args, options);
    const out = createWriteStream(options.log, { flags: "a" });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    let text = "";
    const keep = (chunk: Buffer) => {
      text = (text + chunk.toString("utf8")).slice(-OUTPUT_TAIL);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    // "close" comes after the output is read to the end (nginx workers share the pipes, so it may not come at all).
    const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
    let ended = false;
    const exited = new Promise<number | string>((resolve) => {
      child.on("exit", (code, signal) => {
        ended = true;
        resolve(code ?? signal ?? "?");
      });
      child.on("error", () => {
        ended = true;
        resolve("spawn error");
      });
    });
    const output = async () => {
      if (ended) await Promise.race([closed, sleep(1000)]);
      return text;
    };
    const started: Started = { name, pid: child.pid!, child, log: options.log, exited, hasExited: () => ended, output };
    this.#running.add(started);
    void exited.then(() => this.#running.delete(started));
    return started;
  }

  /**
   * Runs a command to completion (pinned when asked), killing it after `timeoutMs`; returns
   * its exit code and output (stdout then stderr), also written to `options.log`.
   */
  async run(
    name: string,
    command: string,
    args: string[],
    options: Omit<SpawnOptions, "log"> & { log: string; timeoutMs: number },
  ): Promise<{ code: number | string; output: string }> {
    const child = this.#spawn(name, command, args, options);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    let ended = false;
    // "close": the process has exited *and* its output has been read to the end.
    const exited = new Promise<number | string>((resolve) => {
      child.on("close", (code, signal) => {
        ended = true;
        resolve(code ?? signal ?? "?");
      });
      child.on("error", () => {
        ended = true;
        resolve("spawn error");
      });
    });
    const started: Started = { name, pid: child.pid!, child, log: options.log, exited, hasExited: () => ended, output: async () => "" };
    this.#running.add(started);
    const timer = setTimeout(() => void this.stop(started), options.timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    this.#running.delete(started);
    const output = Buffer.concat([...out, ...err]).toString("utf8");
    writeFileSync(options.log, output);
    return { code, output };
  }

  /**
   * Stops one process: SIGTERM to it, then SIGKILL to it and to the children it had (an
   * nginx master's workers) if it is still there after `graceMs`.
   */
  async stop(p: Started, graceMs = 3000): Promise<void> {
    if (p.hasExited()) return;
    const children = descendants(p.pid);
    signal(p.pid, "SIGTERM");
    const timedOut = await Promise.race([p.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) signal(p.pid, "SIGKILL");
    await Promise.race([p.exited, sleep(1000)]);
    killLeftovers(children);
  }

  /** Stops everything still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((p) => this.stop(p)));
  }

  /** Last resort on process exit (synchronous): SIGKILL every process and child still known. */
  killAllNow(): void {
    this.#closed = true;
    for (const p of this.#running) {
      if (p.hasExited()) continue;
      const children = descendants(p.pid);
      signal(p.pid, "SIGKILL");
      killLeftovers(children);
    }
  }

  /** `command args…` under `taskset -c <cpus>` when pinned; stdout and stderr piped, no colours. */
  #spawn(name: string, command: string, args: string[], options: Omit<SpawnOptions, "log">): ChildProcess {
    if (this.#closed) throw new Error(`cannot start ${name}: the benchmark is stopping`);
    const [cmd, argv] = options.cpus === undefined ? [command, args] : ["taskset", ["-c", options.cpus, command, ...args]];
    const child = spawn(cmd, argv, {
      cwd: options.cwd,
      env: options.env ?? { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid === undefined) {
      child.once("error", () => {}); // the ENOENT that follows is this throw's
      throw new Error(`cannot start ${name} (${command}): spawn failed`);
    }
    return child;
  }

  /**
   * Makes sure the group is stopped however the benchmark ends: normal exit, an uncaught
   * error, Ctrl-C or SIGTERM.
   */
  installCleanup(): void {
    const onSignal = (sig: NodeJS.Signals) => {
      console.error(`\n${sig}: stopping the benchmark's processes…`);
      this.#closed = true;
      void this.stopAll().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.once("exit", () => this.killAllNow());
  }
}

/** The descendants of `pid` as they are now (pid and start time). */
function descendants(pid: number): ProcStat[] {
  const stats = allStats();
  return childrenOf(pid, stats).map((child) => stats.get(child)!);
}

/** SIGKILLs the processes in `list` that are still the same processes (same pid and start time). */
function killLeftovers(list: ProcStat[]): void {
  for (const s of list) if (readStat(s.pid)?.start === s.start) signal(s.pid, "SIGKILL");
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** ANSI colour codes (ESC [ … m), which Deno prints even into a pipe for some errors. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * What a log says went wrong, in one line for a skip note: the first line that mentions an
 * error and the source position after it (Deno's and Bun's syntax errors), else its last lines.
 */
export function tail(text: string, lines = 3): string {
  const all = text
    .replace(ANSI_COLOUR, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const at = all.findIndex((l) => /\berror\b/i.test(l));
  if (at === -1) return all.slice(-lines).join(" | ");
  const where = all.slice(at + 1, at + 4).find((l) => l.startsWith("at "));
  return [all[at], where].filter(Boolean).join(" ");
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Waits until `ready()` is true, the process exits, or `timeoutMs` passes; returns why it stopped waiting. */
export async function waitUntil(p: Started, ready: () => Promise<boolean>, timeoutMs: number): Promise<"ready" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.hasExited()) return "exited";
    if (await ready().catch(() => false)) return "ready";
    await sleep(100);
  }
  return "timeout";
}
