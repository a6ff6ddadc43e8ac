/**
 * The two load generators, as proxy-hop-baselines.md §2 runs them, and their parsers.
 *
 * - Closed loop: `wrk -t1 -c32 -d<D>s --latency` — requests/s and the latency distribution.
 * - Fixed rate: `h2load --h1 -c 16 -r 1 --rate-period 1ms --rps 62.5` = 1000 req/s. h2load's
 *   `-r` is a *connection* rate and `--rps` is *per client*: 16 clients × 62.5 req/s, their
 *   connections opened 1 ms apart so their timers are staggered instead of firing as one
 *   16-request burst. Percentiles are exact, from h2load's per-request `--log-file`, after
 *   dropping the requests that started in the first `warmupSeconds`.
 */

import { readFileSync } from "node:fs";
import type { ProcessGroup } from "./processes.ts";

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  /** Latency percentiles in µs. */
  p50: number;
  p99: number;
  /** Non-2xx/3xx responses plus socket errors. */
  errors: number;
  errorText: string;
}

export interface FixedRateResult {
  measured: number;
  achievedRate: number;
  /** µs */
  p50: number;
  p99: number;
  p999: number;
  /** Requests that failed or were not 200. */
  errors: number;
}

export interface LoadOptions {
  port: number;
  /** Extra request headers, `name: value`. */
  headers: string[];
  /** CPU list for the load generator, or undefined not to pin. */
  cpus?: string;
  log: string;
}

const url = (port: number) => `http://127.0.0.1:${port}/`;
const headerArgs = (headers: string[]) => headers.flatMap((h) => ["-H", h]);

/** `wrk -t1 -c32 -d<seconds>s --latency`. */
export async function runWrk(group: ProcessGroup, wrk: string, seconds: number, options: LoadOptions): Promise<WrkResult> {
  const args = ["-t1", "-c32", `-d${seconds}s`, "--latency", ...headerArgs(options.headers), url(options.port)];
  const { code, output } = await group.run("wrk", wrk, args, { cpus: options.cpus, log: options.log, timeoutMs: (seconds + 15) * 1000 });
  const result = parseWrk(output);
  if (code !== 0 || !result) throw new Error(`wrk failed (exit ${code}): ${output.trim().split("\n").slice(-2).join(" | ")}`);
  return result;
}

/** Parses wrk's `--latency` report; undefined when it is not one. */
export function parseWrk(text: string): WrkResult | undefined {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  if (!rps || !total || !p50 || !p99) return undefined;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  const errorText = [non2xx ? `${non2xx} non-2xx` : "", socketErrors ? socket![0] : ""].filter(Boolean).join(", ");
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    p50: toMicros(Number(p50[1]), p50[2]),
    p99: toMicros(Number(p99[1]), p99[2]),
    errors: non2xx + socketErrors,
    errorText,
  };
}

function toMicros(value: number, unit: string): number {
  return unit === "us" ? value : unit === "ms" ? value * 1000 : value * 1e6;
}

/** 1000 req/s for `warmupSeconds + seconds` with h2load; percentiles over the last `seconds`. */
export async function runFixedRate(
  group: ProcessGroup,
  h2load: string,
  seconds: number,
  warmupSeconds: number,
  options: LoadOptions & { logFile: string },
): Promise<FixedRateResult> {
  const total = 1000 * (warmupSeconds + seconds);
  const args = [
    "--h1",
    "-c",
    "16",
    "-r",
    "1",
    "--rate-period",
    "1ms",
    "--rps",
    "62.5",
    "-n",
    String(total),
    ...headerArgs(options.headers),
    "--log-file",
    options.logFile,
    url(options.port),
  ];
  const timeoutMs = (warmupSeconds + seconds) * 1000 * 2 + 15_000;
  const { code, output } = await group.run("h2load", h2load, args, { cpus: options.cpus, log: options.log, timeoutMs });
  if (code !== 0) throw new Error(`h2load failed (exit ${code}): ${output.trim().split("\n").slice(-2).join(" | ")}`);
  return parseH2loadLog(readFileSync(options.logFile, "utf8"), warmupSeconds);
}

/** Parses h2load's `--log-file` (start µs since epoch, status, µs to end of response), dropping the warm-up. */
export function parseH2loadLog(text: string, warmupSeconds: number): FixedRateResult {
  const rows = text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split("\t").map(Number))
    .filter((r) => r.length >= 3 && Number.isFinite(r[0]));
  if (rows.length === 0) throw new Error("h2load wrote no per-request log");
  const first = Math.min(...rows.map((r) => r[0]));
  const kept = rows.filter((r) => r[0] >= first + warmupSeconds * 1e6);
  const errors = kept.filter((r) => r[1] !== 200).length;
  const durations = kept
    .filter((r) => r[1] === 200)
    .map((r) => r[2])
    .sort((a, b) => a - b);
  const starts = kept.map((r) => r[0]);
  const span = (Math.max(...starts) - Math.min(...starts)) / 1e6;
  return {
    measured: kept.length,
    achievedRate: span > 0 ? (kept.length - 1) / span : 0,
    p50: percentile(durations, 0.5),
    p99: percentile(durations, 0.99),
    p999: percentile(durations, 0.999),
    errors,
  };
}

/** Nearest-rank percentile of sorted values; NaN when empty. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
