/**
 * Turns the benchmark's runs into what it prints: medians per target, ratios to nginx, latency
 * added over the backend direct, the raw runs with their noise indicators, and the issue's
 * targets as PASS / MISS lines.
 */

import type { FixedRateResult } from "./load.ts";

/** One measurement of one target in one round. */
export interface RunRecord {
  round: number;
  id: string;
  rps: number;
  requests: number;
  /** µs */
  p50: number;
  p99: number;
  errors: number;
  errorText: string;
  /** CPU of the proxy (process tree) per request; undefined for the backend direct. */
  proxyUsPerReq?: number;
  backendUsPerReq: number;
  /** kB, right after the closed-loop run; undefined for the backend direct. */
  rssKb?: number;
  cpu: Map<string, { busy: number; steal: number }>;
  /** CPU used by other processes on the machine during the run, in % of one CPU. */
  otherPct: number;
  /** New connections the backend accepted during the measured run (keep-alive check). */
  upstreamConnections?: number;
  fixed?: FixedRateResult;
  /** Like `otherPct`, during the fixed-rate run. */
  fixedOtherPct?: number;
  fixedError?: string;
}

export interface Summary {
  id: string;
  label: string;
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  proxyUsPerReq?: number;
  /** The backend's CPU µs per request during this target's closed-loop runs. */
  backendUsPerReq?: number;
  rssKb?: number;
  fixedP50?: number;
  fixedP99?: number;
}

export const median = (values: number[]): number => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

const medianOrUndefined = (values: (number | undefined)[]): number | undefined => {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return defined.length ? median(defined) : undefined;
};

export function summarize(id: string, label: string, runs: RunRecord[]): Summary {
  return {
    id,
    label,
    rounds: runs.length,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    proxyUsPerReq: medianOrUndefined(runs.map((r) => r.proxyUsPerReq)),
    backendUsPerReq: medianOrUndefined(runs.map((r) => r.backendUsPerReq)),
    rssKb: medianOrUndefined(runs.map((r) => r.rssKb)),
    fixedP50: medianOrUndefined(runs.map((r) => r.fixed?.p50)),
    fixedP99: medianOrUndefined(runs.map((r) => r.fixed?.p99)),
  };
}

// ---- formatting ------------------------------------------------------------------------

export function us(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  return abs < 1000 ? `${Math.round(value)} µs` : `${(value / 1000).toFixed(2)} ms`;
}

export const added = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? "–" : `${value < 0 ? "−" : "+"}${us(Math.abs(value))}`;

export const int = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? "–" : Math.round(value).toLocaleString("en-US");

export const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);

export const mb = (kb: number | undefined): string => (kb === undefined ? "–" : `${(kb / 1024).toFixed(1)}`);

/** A Markdown table with padded columns; `align` is "l" or "r" per column. */
export function table(header: string[], rows: string[][], align: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (cell: string, i: number) => (align[i] === "r" ? cell.padStart(widths[i]) : cell.padEnd(widths[i]));
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** The headline table: one line per target. */
export function headlineTable(summaries: Summary[]): string {
  const nginx = summaries.find((s) => s.id === "nginx");
  const direct = summaries.find((s) => s.id === "direct");
  const rows = summaries.map((s) => [
    s.label,
    int(s.rps),
    nginx ? fixed(s.rps / nginx.rps, 3) : "–",
    us(s.p50),
    us(s.p99),
    us(s.fixedP50),
    us(s.fixedP99),
    s.id === "direct"
      ? ""
      : added(direct && s.fixedP50 !== undefined && direct.fixedP50 !== undefined ? s.fixedP50 - direct.fixedP50 : undefined),
    s.id === "direct"
      ? ""
      : added(direct && s.fixedP99 !== undefined && direct.fixedP99 !== undefined ? s.fixedP99 - direct.fixedP99 : undefined),
    fixed(s.proxyUsPerReq, 1),
    mb(s.rssKb),
  ]);
  return table(
    ["target", "req/s", "×nginx", "p50 @c32", "p99 @c32", "p50 @1k/s", "p99 @1k/s", "added p50", "added p99", "CPU µs/req", "RSS MB"],
    rows,
    "lrrrrrrrrrr",
  );
}

/** Every run, with the figures that tell a noisy one apart. */
export function rawTable(runs: RunRecord[], labels: Map<string, string>, cpus: string[]): string {
  const rows = runs.map((r) => {
    const cpu = cpus.map((c) => {
      const u = r.cpu.get(c);
      return u ? `${u.busy.toFixed(0)}/${u.steal.toFixed(1)}` : "–";
    });
    const fr = r.fixed
      ? `${r.fixed.achievedRate.toFixed(0)} req/s, ${us(r.fixed.p50)} / ${us(r.fixed.p99)} / ${us(r.fixed.p999)}`
      : (r.fixedError ?? "–");
    const errors = [r.errorText, r.fixed?.errors ? `${r.fixed.errors} failed @1k/s` : ""].filter(Boolean).join("; ");
    return [
      String(r.round),
      labels.get(r.id) ?? r.id,
      int(r.rps),
      us(r.p50),
      us(r.p99),
      fixed(r.proxyUsPerReq, 1),
      fixed(r.backendUsPerReq, 1),
      r.rssKb === undefined ? "–" : int(r.rssKb),
      r.upstreamConnections === undefined ? "?" : String(r.upstreamConnections),
      ...cpu,
      `${r.otherPct.toFixed(0)}%${noisy(r) ? " !" : ""}`,
      fr,
      errors,
    ];
  });
  return table(
    [
      "round",
      "target",
      "req/s",
      "p50",
      "p99",
      "proxy µs/req",
      "backend µs/req",
      "RSS kB",
      "upstream conns",
      ...cpus.map((c) => `${c} busy/steal %`),
      "other load",
      "@1000 req/s: achieved, p50 / p99 / p99.9, other load",
      "errors",
    ],
    rows,
    `rlrrrrrrr${"r".repeat(cpus.length)}rll`,
  );
}

/** A run disturbed by the rest of the machine: steal over 2 % or other processes over 10 % of a CPU. */
export function noisy(r: RunRecord): boolean {
  return [...r.cpu.values()].some((u) => u.steal > 2) || r.otherPct > 10;
}

/** The same for the fixed-rate run (other processes over 10 % of a CPU). */
export function noisyFixed(r: RunRecord): boolean {
  return (r.fixedOtherPct ?? 0) > 10;
}

/** One line of the targets section. */
export interface TargetCheck {
  what: string;
  /** undefined: could not be measured (the reason is in `figure`). */
  pass: boolean | undefined;
  /** A figure shown for reading the others, not a target. */
  info?: boolean;
  /** Half or more of the runs behind the figure were noisy: the verdict is marked with "*". */
  noisy?: boolean;
  figure: string;
}

export function targetLines(checks: TargetCheck[]): string {
  const width = Math.max(...checks.map((c) => c.what.length));
  const lines = checks.map((c) => {
    const verdict = `${c.info ? "info" : c.pass === undefined ? "SKIP" : c.pass ? "PASS" : "MISS"}${c.noisy && !c.info ? "*" : ""}`;
    return `${verdict.padEnd(5)}  ${c.what.padEnd(width)}  ${c.figure}`;
  });
  if (checks.some((c) => c.noisy && !c.info))
    lines.push('* half or more of the runs behind this verdict were noisy (see "other load" above): confirm on a quiet machine');
  return lines.join("\n");
}
