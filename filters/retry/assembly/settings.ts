// The retry filter's configuration, read once in `onConfigure` into plain fields so the
// per-request path never touches JSON. Field names follow a route's `retries` block in
// weir.yaml (`retryOn`, `retriableStatusCodes`, `idempotentOnly`, `backoff`) and a cluster's
// `retryBudget` (`percent`, `minRetriesPerSecond`), so the two read alike. Every problem is
// recorded on `config`, and the SDK rejects the load with all of them.

import { Config, JsonKind } from "../../../sdk/assembly";

/** `retryOn` conditions, as bits (Envoy's `retry_on` names). */
export const ON_5XX: u32 = 1;
export const ON_GATEWAY_ERROR: u32 = 2;
export const ON_RESET: u32 = 4;
export const ON_CONNECT_FAILURE: u32 = 8;
export const ON_RETRIABLE_STATUS_CODES: u32 = 16;

const RETRY_ON_NAMES: string[] = ["5xx", "gateway-error", "reset", "connect-failure", "retriable-status-codes"];
const KNOWN_FIELDS: string[] = [
  "retryOn",
  "retriableStatusCodes",
  "maxAttempts",
  "perTryTimeoutMs",
  "idempotentOnly",
  "attemptHeader",
  "backoff",
  "budget",
  "seed",
];

/** The request header that carries `perTryTimeoutMs` to the proxy (Envoy: `x-envoy-upstream-rq-per-try-timeout-ms`). */
export const PER_TRY_TIMEOUT_HEADER = "x-weir-per-try-timeout-ms";

/** Everything the filter was configured with. */
export class RetrySettings {
  /** Bits of `ON_*`. Default: failures a retry can plausibly fix (502/503/504, resets, connect failures). */
  retryOn: u32 = ON_GATEWAY_ERROR | ON_RESET | ON_CONNECT_FAILURE;
  /** `retriableStatusCodes` as a lookup table indexed by status (0-599). */
  retriableStatus: StaticArray<bool> = new StaticArray<bool>(600);
  /** Attempts in all, the first one included (so 3 = at most 2 retries). */
  maxAttempts: i64 = 3;
  /** `perTryTimeoutMs` as the header value to send, or "" for none (the route's per-try timeout applies). */
  perTryTimeout: string = "";
  idempotentOnly: bool = true;
  /** Request header carrying the attempt number; "" sends none. */
  attemptHeader: string = "x-weir-attempt";
  backoffBaseMs: i64 = 25;
  backoffMaxMs: i64 = 250;
  /** Shared-data keys are `weir.retry.<scope>.…`: filters configured with the same scope (and vm_id) share one budget. */
  budgetScope: string = "default";
  /** Retries in flight allowed per 100 active requests. */
  budgetPercent: i64 = 20;
  /** Retries per second allowed beyond the ratio (also the bucket's size). */
  budgetPerSecond: i64 = 10;
  /** Seed of the backoff jitter; 0 seeds from the clock. */
  seed: u32 = 0;

  /** Whether a response with `status` counts as a listed retriable status code. */
  @inline isListed(status: i32): bool {
    return (this.retryOn & ON_RETRIABLE_STATUS_CODES) != 0 && status >= 0 && status < 600 && unchecked(this.retriableStatus[status]);
  }
}

/** Reads the plugin configuration (JSON; empty = every default). */
export function readSettings(config: Config): RetrySettings {
  const s = new RetrySettings();
  config.allowOnly(KNOWN_FIELDS);

  if (config.has("retryOn")) {
    const names = config.getStringArray("retryOn");
    let bits: u32 = 0;
    for (let i = 0; i < names.length; i++) {
      const index = RETRY_ON_NAMES.indexOf(names[i]);
      if (index < 0) config.fail("retryOn[" + i.toString() + "]", "must be one of " + RETRY_ON_NAMES.join(", ") + ", got \"" + names[i] + "\"");
      else bits |= (<u32>1) << index;
    }
    if (names.length == 0) config.fail("retryOn", "must list at least one condition");
    s.retryOn = bits;
  }

  // The SDK's Config has no integer-array getter: walk the JSON value.
  const codes = config.field("retriableStatusCodes");
  if (codes !== null) {
    if (codes.kind != JsonKind.Array) config.fail("retriableStatusCodes", "must be an array of HTTP status codes (100-599)");
    else {
      for (let i = 0; i < codes.items.length; i++) {
        const item = codes.items[i];
        if (item.kind != JsonKind.Number || !item.isInteger || item.intValue < 100 || item.intValue > 599) {
          config.fail("retriableStatusCodes[" + i.toString() + "]", "must be an HTTP status code (100-599)");
        } else s.retriableStatus[<i32>item.intValue] = true;
      }
      // Envoy ignores the list unless retry_on names it; a silent no-op is worse than an error.
      if (codes.items.length > 0 && (s.retryOn & ON_RETRIABLE_STATUS_CODES) == 0) {
        config.fail("retriableStatusCodes", "is set but retryOn does not include \"retriable-status-codes\"");
      }
    }
  }

  s.maxAttempts = config.getInt("maxAttempts", 3, 1, 10);
  const perTry = config.getInt("perTryTimeoutMs", 0, 0, 3_600_000);
  s.perTryTimeout = perTry > 0 ? perTry.toString() : "";
  s.idempotentOnly = config.getBool("idempotentOnly", true);
  s.attemptHeader = asciiLower(config.getString("attemptHeader", "x-weir-attempt"));

  const backoff = config.getObject("backoff");
  if (backoff !== null) {
    backoff.allowOnly(["baseMs", "maxMs"]);
    s.backoffBaseMs = backoff.getInt("baseMs", 25, 1, 60_000);
    s.backoffMaxMs = backoff.getInt("maxMs", 10 * s.backoffBaseMs, 1, 600_000);
    if (s.backoffMaxMs < s.backoffBaseMs) backoff.fail("maxMs", "must be at least baseMs (" + s.backoffBaseMs.toString() + ")");
  }

  const budget = config.getObject("budget");
  if (budget !== null) {
    budget.allowOnly(["scope", "percent", "minRetriesPerSecond"]);
    s.budgetScope = budget.getString("scope", "default");
    if (s.budgetScope.length == 0) budget.fail("scope", "must not be empty");
    s.budgetPercent = budget.getInt("percent", 20, 0, 1000);
    s.budgetPerSecond = budget.getInt("minRetriesPerSecond", 10, 0, 1_000_000);
  }

  s.seed = <u32>config.getInt("seed", 0, 0, 0xffffffff);
  return s;
}

/** Header names travel lowercase (HTTP/2); String#toLowerCase would pull in Unicode case tables. */
function asciiLower(name: string): string {
  let lower = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    lower += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return lower;
}
