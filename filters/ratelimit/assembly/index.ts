// @weir/ratelimit: token-bucket rate limiting per descriptor (remote address, header, path,
// peer identity, and combinations), with buckets in shared data so every stream of the
// process draws from the same ones. A request is limited when any descriptor whose key
// components are all present has an empty bucket: it gets a 429 with `RateLimit-*` and
// `Retry-After`, or, in shadow mode, passes marked and counted. See ../README.md.

export * from "../../../sdk/assembly/exports";
import {
  Action,
  Config,
  currentTimeNanos,
  HeaderPair,
  HttpContext,
  logDebug,
  logWarn,
  RootContext,
  registerFilter,
} from "../../../sdk/assembly";
import { acquire, Outcome, refund, slotName, slotUsed, tokensLeft } from "./bucket";
import { Descriptor, MAX_DESCRIPTORS, readSettings, Settings, UNIT } from "./descriptor";
import { Key } from "./key";
import { RequestValues } from "./request-values";

/** The details string of the 429: the access log maps it to Envoy's `RL` flag. */
const DETAILS = "local_rate_limited";
const BODY = "rate limited\n";
/** gRPC RESOURCE_EXHAUSTED: unlike UNAVAILABLE, clients do not retry it at once. */
const GRPC_RESOURCE_EXHAUSTED = 8;
const SHADOW_HEADER = "x-weir-ratelimit-shadow";

class RateLimitRoot extends RootContext {
  settings: Settings = new Settings();

  onConfigure(config: Config): bool {
    this.settings = readSettings(config);
    return true; // problems recorded on `config` still reject it
  }

  createHttpContext(id: u32): HttpContext | null {
    return new RateLimitStream(id, this);
  }
}

// Per-request bookkeeping, reused: at most one request is being decided at a time.
const appliedDescriptors = new StaticArray<Descriptor | null>(MAX_DESCRIPTORS);
const appliedSlots = new StaticArray<u32>(MAX_DESCRIPTORS);
const values = new RequestValues();

class RateLimitStream extends HttpContext {
  /** The descriptor the RateLimit-* headers report (the closest to exhaustion), if any applied. */
  reported: Descriptor | null = null;
  remaining: i64 = 0;
  resetSeconds: i64 = 0;
  /** A 429 was sent: its headers are already on it. */
  limited: bool = false;

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const settings = (this.root as RateLimitRoot).settings;
    values.reset(this);
    let now: i64 = -1; // read the clock only once a descriptor applies
    const descriptors = settings.descriptors;
    let applied = 0;
    let denied: Descriptor | null = null;
    let deniedKey: Key | null = null;
    let deniedTokens: i64 = 0;
    for (let i = 0; i < descriptors.length; i++) {
      const d = unchecked(descriptors[i]);
      const key = values.key(d);
      if (key === null) continue; // a component is absent: the descriptor does not apply
      if (now < 0) now = <i64>(currentTimeNanos() / 1_000_000);
      const outcome = acquire(d, key, now);
      if (outcome == Outcome.Denied) {
        denied = d;
        deniedKey = key;
        deniedTokens = tokensLeft;
        break;
      }
      if (outcome == Outcome.Failed) {
        d.errors.increment();
        const why = ": shared data refused the write or kept changing; letting the request through";
        logWarn("ratelimit: cannot update " + slotName(d, slotUsed) + " for " + key.text() + why);
        continue;
      }
      unchecked((appliedDescriptors[applied] = d));
      unchecked((appliedSlots[applied] = slotUsed));
      applied++;
      this.report(d, tokensLeft);
    }
    if (denied === null) {
      for (let i = 0; i < applied; i++) (unchecked(appliedDescriptors[i]) as Descriptor).allowed.increment();
      if (settings.shadow) this.requestHeaders.remove(SHADOW_HEADER); // only the filter says so
      return Action.Continue;
    }
    // Denied: the tokens the earlier descriptors took were not used.
    for (let i = 0; i < applied; i++) {
      const taken = unchecked(appliedDescriptors[i]) as Descriptor;
      refund(taken, taken.key, unchecked(appliedSlots[i]), now);
    }
    const d = denied as Descriptor;
    if (settings.shadow) {
      d.shadowLimited.increment();
      logDebug("ratelimit shadow: descriptor " + d.name + " would limit " + (deniedKey as Key).text());
      this.requestHeaders.set(SHADOW_HEADER, "would-limit");
      return Action.Continue;
    }
    d.limited.increment();
    this.limited = true;
    const headers = new Array<HeaderPair>();
    if (settings.headers) {
      headers.push(new HeaderPair("RateLimit-Limit", d.limitText));
      headers.push(new HeaderPair("RateLimit-Remaining", "0"));
      headers.push(new HeaderPair("RateLimit-Reset", secondsUntil(d.capacity - deniedTokens, d).toString()));
    }
    headers.push(new HeaderPair("Retry-After", secondsUntil(UNIT - deniedTokens, d).toString()));
    this.sendLocalResponse(429, BODY, headers, DETAILS, GRPC_RESOURCE_EXHAUSTED);
    return Action.Pause;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const reported = this.reported;
    if (reported === null || this.limited) return Action.Continue;
    const settings = (this.root as RateLimitRoot).settings;
    if (!settings.headers || settings.shadow) return Action.Continue;
    const headers = this.responseHeaders;
    headers.setInteger("ratelimit-limit", reported.burst);
    headers.setInteger("ratelimit-remaining", this.remaining);
    headers.setInteger("ratelimit-reset", this.resetSeconds);
    return Action.Continue;
  }

  /** Keeps the descriptor closest to exhaustion for the RateLimit-* headers. */
  private report(d: Descriptor, tokens: i64): void {
    const remaining = tokens / UNIT;
    if (this.reported !== null && remaining >= this.remaining) return;
    this.reported = d;
    this.remaining = remaining;
    this.resetSeconds = secondsUntil(d.capacity - tokens, d);
  }
}

/** Whole seconds (rounded up) until `missing` fixed-point tokens have refilled; at least 1 when any are missing. */
function secondsUntil(missing: i64, d: Descriptor): i64 {
  if (missing <= 0) return 0;
  const ms = Math.ceil(<f64>missing / d.rate);
  return <i64>Math.ceil(ms / 1000);
}

registerFilter((id: u32): RootContext => new RateLimitRoot(id));
