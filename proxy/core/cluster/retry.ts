/**
 * Retry policy: the pure decisions the router makes after an upstream attempt fails. Whether
 * to retry (Envoy's `retry_on` conditions, the attempt limit, idempotent methods only by
 * default), how long to wait (Envoy's fully jittered exponential backoff), and whether the
 * request body can be sent again (Linkerd does not retry bodies over 64 KiB). How many retries
 * may run at once is the retry budget's job (`retry-budget.ts`).
 *
 * Conditions follow Envoy's `RetryStateImpl` (source/common/router/retry_state_impl.cc):
 *
 * | retryOn                  | status                 | timeout | reset | connect failure | refused stream |
 * |--------------------------|------------------------|---------|-------|-----------------|----------------|
 * | `5xx`                    | 500–599                | yes     | yes   | yes             | yes            |
 * | `gateway-error`          | 502, 503, 504          | yes     | yes   | yes             | yes            |
 * | `reset`                  |                        | yes     | yes   | yes             | yes            |
 * | `connect-failure`        |                        |         |       | yes             |                |
 * | `refused-stream`         |                        |         |       |                 | yes            |
 * | `retriable-status-codes` | `retriableStatusCodes` |         |       |                 |                |
 *
 * (Envoy counts any reset, a per-try timeout included, as a 5xx: "it will result in one".)
 */

import type { Random } from "./clock.ts";

export type RetryOn = "5xx" | "gateway-error" | "reset" | "connect-failure" | "refused-stream" | "retriable-status-codes";

/** What happened on the attempt that just ended, and the route's policy. */
export interface RetryQuery {
  /** The attempt that just ended, 1-based: 1 is the original request. */
  attempt: number;
  /** Response status, when a response arrived. */
  status?: number;
  /** The stream was reset (or the connection closed) before a response. */
  reset?: boolean;
  /** The per-try timeout fired. */
  timeout?: boolean;
  /** No connection could be made. */
  connectFailure?: boolean;
  /** HTTP/2 REFUSED_STREAM: the upstream did not process the request. */
  refusedStream?: boolean;
  method: string;
  retryOn: readonly RetryOn[];
  retriableStatusCodes?: readonly number[];
  /** Retries allowed after the original attempt. */
  numRetries: number;
  /** Retry only idempotent methods. Default true. */
  idempotentOnly?: boolean;
}

/**
 * `limit`: the failure was retriable but attempts are used up; the caller keeps the last
 * response and sets flag URX.
 */
export type RetryDecision = { retry: true } | { retry: false; reason: "not-retriable" | "method" | "limit" };

/** RFC 9110 §9.2.2 idempotent methods: GET, HEAD, OPTIONS, TRACE, PUT, DELETE. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Linkerd's limit on request bodies kept for a retry. */
export const DEFAULT_REPLAY_LIMIT = 64 * 1024;

/** Envoy's retry backoff: base 25 ms, max 10 × base. */
export const BACKOFF_DEFAULTS = Object.freeze({ baseMs: 25, maxMs: 250 });

/**
 * Decides whether the attempt that just ended should be retried.
 *
 * @example
 * ```ts
 * shouldRetry({ attempt: 1, status: 503, method: "GET", retryOn: ["5xx"], numRetries: 2 }); // { retry: true }
 * shouldRetry({ attempt: 1, status: 503, method: "POST", retryOn: ["5xx"], numRetries: 2 }); // { retry: false, reason: "method" }
 * shouldRetry({ attempt: 3, status: 503, method: "GET", retryOn: ["5xx"], numRetries: 2 }); // { retry: false, reason: "limit" }
 * ```
 */
export function shouldRetry(query: RetryQuery): RetryDecision {
  if (!isRetriableFailure(query)) return { retry: false, reason: "not-retriable" };
  // Methods are checked before the limit so that URX only marks requests that did retry.
  if ((query.idempotentOnly ?? true) && !IDEMPOTENT_METHODS.has(query.method.toUpperCase())) return { retry: false, reason: "method" };
  if (query.attempt > query.numRetries) return { retry: false, reason: "limit" };
  return { retry: true };
}

function isRetriableFailure(q: RetryQuery): boolean {
  const on = new Set(q.retryOn);
  if (q.status !== undefined) {
    if (on.has("5xx") && q.status >= 500 && q.status <= 599) return true;
    if (on.has("gateway-error") && (q.status === 502 || q.status === 503 || q.status === 504)) return true;
    return on.has("retriable-status-codes") && (q.retriableStatusCodes ?? []).includes(q.status);
  }
  const anyReset = on.has("5xx") || on.has("gateway-error") || on.has("reset");
  if (q.connectFailure) return anyReset || on.has("connect-failure");
  if (q.refusedStream) return anyReset || on.has("refused-stream");
  if (q.reset || q.timeout) return anyReset;
  return false;
}

/**
 * The wait before retry number `retry` (1 for the first retry): uniform in
 * [0, min((2^retry − 1) × base, max)). Envoy draws from [0, (2^n − 1) × base) and then clamps
 * to max, which piles later retries up at exactly max; drawing under the cap keeps them spread
 * ("full jitter"), and keeps every delay within [0, max).
 *
 * @example
 * ```ts
 * backoffDelay(1, Math.random); // 0–24 ms
 * backoffDelay(2, Math.random); // 0–74 ms
 * backoffDelay(9, Math.random); // 0–249 ms
 * ```
 */
export function backoffDelay(retry: number, random: Random, options: { baseMs?: number; maxMs?: number } = {}): number {
  const base = options.baseMs ?? BACKOFF_DEFAULTS.baseMs;
  const max = options.maxMs ?? 10 * base;
  if (!(base > 0) || !(max > 0)) throw new RangeError(`backoff base and max must be positive, got base ${base} and max ${max}`);
  const ceiling = Math.min((2 ** Math.max(1, retry) - 1) * base, max);
  return Math.floor(random() * ceiling);
}

/**
 * Can a request whose body is `bodyBytes` long be sent again? Only if the proxy kept all of it,
 * which it does up to `limit` (64 KiB by default). A body of unknown length (streaming,
 * `undefined`) cannot be replayed until it has ended within the limit.
 *
 * @example
 * ```ts
 * canReplay(0); // true (no body)
 * canReplay(70_000); // false
 * canReplay(undefined); // false
 * ```
 */
export function canReplay(bodyBytes: number | undefined, limit = DEFAULT_REPLAY_LIMIT): boolean {
  return bodyBytes !== undefined && bodyBytes >= 0 && bodyBytes <= limit;
}

/**
 * Keeps a copy of the request body as it streams upstream so a retry can resend it, and gives
 * up (dropping the copy) as soon as it outgrows the limit.
 *
 * @example
 * ```ts
 * const body = new ReplayBuffer();
 * body.push(chunk); // as each chunk is forwarded
 * if (body.replayable) for (const c of body.chunks()) attempt2.write(c);
 * ```
 */
export class ReplayBuffer {
  readonly limit: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #overflowed = false;

  constructor(limit = DEFAULT_REPLAY_LIMIT) {
    this.limit = limit;
  }

  /** Keeps `chunk`; returns whether the body is still replayable. */
  push(chunk: Uint8Array): boolean {
    if (this.#overflowed) return false;
    this.#bytes += chunk.byteLength;
    if (!canReplay(this.#bytes, this.limit)) {
      this.#overflowed = true;
      this.#chunks = [];
      return false;
    }
    this.#chunks.push(chunk.slice());
    return true;
  }

  get replayable(): boolean {
    return !this.#overflowed;
  }

  /** Bytes seen so far (kept or not). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The kept chunks, in order; empty once the limit was passed. */
  chunks(): readonly Uint8Array[] {
    return this.#chunks;
  }
}
