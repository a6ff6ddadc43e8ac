/**
 * What the benchmark reads from /proc (Linux): CPU time of a process and its children
 * (utime + stime, every thread included), resident memory, per-CPU busy/steal time, and the
 * CPU time of every *other* process on the machine — the benchmark runs on a shared machine,
 * so each run records how much the rest of it was doing.
 */

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time in ticks since boot: tells a pid apart from a later process reusing it. */
  start: number;
}

/** Clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
export const CLK_TCK: number = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields count from the last ")".
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) };
}

/** Every process on the machine. */
export function allStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.set(s.pid, s);
  }
  return stats;
}

/** Every descendant of `pid` (children, their children, …). */
export function childrenOf(pid: number, stats = allStats()): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const s of stats.values()) {
      if (s.ppid === parent) {
        found.push(s.pid);
        queue.push(s.pid);
      }
    }
  }
  return found;
}

/** CPU ticks of `pid` and all its descendants (an nginx master and its worker). */
export function treeTicks(pid: number): number {
  const stats = allStats();
  return [pid, ...childrenOf(pid, stats)].reduce((sum, p) => sum + (stats.get(p)?.ticks ?? 0), 0);
}

/** Resident memory of one process (VmRSS), in kB; 0 when it is gone. */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of `pid` and its descendants, in kB (nginx: master + worker, as in the baseline). */
export function treeRssKb(pid: number): number {
  return [pid, ...childrenOf(pid)].reduce((sum, p) => sum + rssKb(p), 0);
}

export interface CpuTimes {
  busy: number;
  steal: number;
  total: number;
}

/** Per-CPU jiffies from /proc/stat (busy = user+nice+system+irq+softirq; steal apart). */
export function cpuTimes(): Map<string, CpuTimes> {
  const out = new Map<string, CpuTimes>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq;
    out.set(m[1], { busy, steal, total: busy + idle + iowait + steal });
  }
  return out;
}

/** Percent busy and steal of each CPU between two `cpuTimes()` readings. */
export function cpuUsage(before: Map<string, CpuTimes>, after: Map<string, CpuTimes>): Map<string, { busy: number; steal: number }> {
  const out = new Map<string, { busy: number; steal: number }>();
  for (const [cpu, a] of after) {
    const b = before.get(cpu);
    if (!b) continue;
    const total = a.total - b.total || 1;
    out.set(cpu, { busy: (100 * (a.busy - b.busy)) / total, steal: (100 * (a.steal - b.steal)) / total });
  }
  return out;
}

/**
 * CPU ticks used between two `allStats()` snapshots by processes other than `mine` (and
 * their descendants): other work on the machine competing with the benchmark. Processes
 * that started and ended in between are missed; that is good enough to flag a noisy run.
 */
export function otherTicks(before: Map<number, ProcStat>, after: Map<number, ProcStat>, mine: number[]): number {
  const excluded = new Set<number>();
  for (const pid of mine) {
    excluded.add(pid);
    for (const child of childrenOf(pid, after)) excluded.add(child);
  }
  let sum = 0;
  for (const [pid, a] of after) {
    if (excluded.has(pid)) continue;
    const b = before.get(pid);
    sum += b && b.start === a.start ? a.ticks - b.ticks : a.ticks;
  }
  return sum;
}
