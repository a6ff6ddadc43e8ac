/**
 * Pins the retry decisions: Envoy's retry_on table row by row, the attempt limit (and its
 * URX reason), idempotent methods only by default, the backoff's ranges and cap, and the
 * body replay limit.
 */

import { describe, expect, it } from "vitest";
import { seededRandom } from "./clock.ts";
import {
  BACKOFF_DEFAULTS,
  backoffDelay,
  canReplay,
  DEFAULT_REPLAY_LIMIT,
  ReplayBuffer,
  type RetryOn,
  type RetryQuery,
  shouldRetry,
} from "./retry.ts";

const base = { attempt: 1, method: "GET", numRetries: 1 } as const;
const retries = (retryOn: RetryOn[], failure: Partial<RetryQuery>, extra: Partial<RetryQuery> = {}) =>
  shouldRetry({ ...base, retryOn, ...failure, ...extra }).retry;

describe("shouldRetry", () => {
  const failures: Array<[string, Partial<RetryQuery>]> = [
    ["500", { status: 500 }],
    ["502", { status: 502 }],
    ["503", { status: 503 }],
    ["504", { status: 504 }],
    ["409", { status: 409 }],
    ["timeout", { timeout: true }],
    ["reset", { reset: true }],
    ["connect failure", { connectFailure: true }],
    ["refused stream", { refusedStream: true }],
  ];
  // Which failures each retry_on condition retries (Envoy's RetryStateImpl), 409 listed as retriable.
  const table: Record<RetryOn, string[]> = {
    "5xx": ["500", "502", "503", "504", "timeout", "reset", "connect failure", "refused stream"],
    "gateway-error": ["502", "503", "504", "timeout", "reset", "connect failure", "refused stream"],
    reset: ["timeout", "reset", "connect failure", "refused stream"],
    "connect-failure": ["connect failure"],
    "refused-stream": ["refused stream"],
    "retriable-status-codes": ["409"],
  };
  for (const [condition, expected] of Object.entries(table) as Array<[RetryOn, string[]]>) {
    it(`${condition} retries exactly: ${expected.join(", ")}`, () => {
      const retried = failures.filter(([, f]) => retries([condition], f, { retriableStatusCodes: [409] })).map(([name]) => name);
      expect(retried).toEqual(expected);
    });
  }

  it("never retries a success or a failure no condition names", () => {
    expect(retries(["5xx", "reset"], { status: 200 })).toBe(false);
    expect(retries(["5xx"], { status: 404 })).toBe(false);
    expect(retries([], { status: 503 })).toBe(false);
    expect(retries(["connect-failure"], {})).toBe(false);
  });

  it("stops at numRetries with reason limit (URX)", () => {
    const q = { ...base, status: 503, retryOn: ["5xx"] as RetryOn[], numRetries: 2 };
    expect(shouldRetry({ ...q, attempt: 1 })).toEqual({ retry: true });
    expect(shouldRetry({ ...q, attempt: 2 })).toEqual({ retry: true });
    expect(shouldRetry({ ...q, attempt: 3 })).toEqual({ retry: false, reason: "limit" });
    expect(shouldRetry({ ...q, numRetries: 0 })).toEqual({ retry: false, reason: "limit" });
  });

  it("retries only idempotent methods by default", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "get"])
      expect(retries(["5xx"], { status: 503 }, { method })).toBe(true);
    for (const method of ["POST", "PATCH", "CONNECT"]) {
      expect(shouldRetry({ ...base, retryOn: ["5xx"], status: 503, method })).toEqual({ retry: false, reason: "method" });
    }
    expect(retries(["5xx"], { status: 503 }, { method: "POST", idempotentOnly: false })).toBe(true);
  });

  it("reports not-retriable before method or limit", () => {
    expect(shouldRetry({ ...base, method: "POST", attempt: 9, retryOn: ["5xx"], status: 200 })).toEqual({
      retry: false,
      reason: "not-retriable",
    });
  });
});

describe("backoffDelay", () => {
  it("defaults to Envoy's 25 ms base and 250 ms cap", () => {
    expect(BACKOFF_DEFAULTS).toEqual({ baseMs: 25, maxMs: 250 });
  });

  it("draws retry n from [0, (2^n - 1) x 25 ms)", () => {
    const random = seededRandom(3);
    for (const [retry, ceiling] of [
      [1, 25],
      [2, 75],
      [3, 175],
    ]) {
      const delays = Array.from({ length: 2000 }, () => backoffDelay(retry, random));
      expect(Math.min(...delays)).toBe(0);
      expect(Math.max(...delays)).toBe(ceiling - 1);
    }
  });

  it("stays within [0, cap) for every retry and spreads capped retries evenly", () => {
    const random = seededRandom(4);
    const delays = Array.from({ length: 5000 }, (_, i) => backoffDelay(4 + (i % 20), random));
    for (const d of delays) expect(d >= 0 && d < 250).toBe(true);
    // No pile-up at the cap (Envoy's clamp would put about a third of retry 4 at exactly 250).
    expect(delays.filter((d) => d === 249).length).toBeLessThan(100);
    expect(backoffDelay(60, () => 0.999999)).toBe(249);
    expect(backoffDelay(1, () => 0.999999, { baseMs: 100, maxMs: 50 })).toBe(49);
  });

  it("uses 10 x base as the cap when only the base is given", () => {
    expect(backoffDelay(30, () => 0.999999, { baseMs: 10 })).toBe(99);
  });
});

describe("canReplay and ReplayBuffer", () => {
  it("replays bodies up to 64 KiB (Linkerd's limit), not unknown lengths", () => {
    expect(DEFAULT_REPLAY_LIMIT).toBe(65_536);
    expect(canReplay(0)).toBe(true);
    expect(canReplay(65_536)).toBe(true);
    expect(canReplay(65_537)).toBe(false);
    expect(canReplay(undefined)).toBe(false);
    expect(canReplay(10, 5)).toBe(false);
  });

  it("keeps copies of the chunks until the body outgrows the limit, then drops them", () => {
    const buffer = new ReplayBuffer(10);
    const chunk = new Uint8Array([1, 2, 3, 4]);
    expect(buffer.push(chunk)).toBe(true);
    chunk[0] = 9; // the caller reusing its buffer must not change the copy
    expect(buffer.push(new Uint8Array(6))).toBe(true);
    expect(buffer.chunks().map((c) => [...c])).toEqual([
      [1, 2, 3, 4],
      [0, 0, 0, 0, 0, 0],
    ]);
    expect(buffer.push(new Uint8Array(1))).toBe(false);
    expect([buffer.replayable, buffer.bytes, buffer.chunks()]).toEqual([false, 11, []]);
    expect(buffer.push(new Uint8Array(0))).toBe(false);
  });
});
