// weir's retry filter: asks the proxy for another upstream attempt (`weir.retry`) when a
// response is a failure the configuration retries — a 5xx, a gateway error, a listed status,
// or the proxy's own reply to a reset, timeout or connect failure — within a maximum number of
// attempts, after a jittered exponential backoff, for idempotent methods, and while a retry
// budget shared by every instance of the filter allows it. Route-level retries in weir.yaml
// cover the static cases; this filter is for retry logic a route cannot express. See README.md.

export * from "../../../sdk/assembly/exports";
import {
  Action,
  Config,
  currentTimeNanos,
  getPropertyString,
  HttpContext,
  logDebug,
  RootContext,
  registerFilter,
  requestRetry,
  upstreamAttempt,
} from "../../../sdk/assembly";
import { backoffCeiling, Jitter } from "./backoff";
import { Grant, RetryBudget, SYNC_PERIOD_MS } from "./budget";
import { GiveUp, RetryMetrics } from "./metrics";
import { CAUSE_NAMES, Cause, causeOf, FLAGS_HEADER, isIdempotent, parseStatus, retries } from "./policy";
import { PER_TRY_TIMEOUT_HEADER, RetrySettings, readSettings } from "./settings";

class RetryRoot extends RootContext {
  settings: RetrySettings = new RetrySettings();
  budget: RetryBudget = new RetryBudget("default", 20, 10);
  metrics: RetryMetrics | null = null;
  jitter: Jitter = new Jitter(0);

  onConfigure(config: Config): bool {
    const settings = readSettings(config);
    if (config.errors.length > 0) return false;
    this.settings = settings;
    const budget = this.budget;
    if (budget.scope == settings.budgetScope) {
      budget.percent = settings.budgetPercent;
      budget.minRetriesPerSecond = settings.budgetPerSecond;
    } else {
      // Streams under way keep counting in the budget they started in, which syncs from now on as they end.
      budget.sync();
      budget.retired = true;
      this.budget = new RetryBudget(settings.budgetScope, settings.budgetPercent, settings.budgetPerSecond);
    }
    this.metrics = new RetryMetrics(settings.maxAttempts);
    const clock = currentTimeNanos();
    this.jitter = new Jitter(settings.seed != 0 ? settings.seed : <u32>(clock ^ (clock >> 32)) ^ this.id);
    this.setTickPeriod(SYNC_PERIOD_MS);
    return true;
  }

  onTick(): void {
    this.budget.sync();
  }

  onDone(): bool {
    this.budget.sync();
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new RetryStream(id, this);
  }
}

class RetryStream extends HttpContext {
  /** The budget this request counts in (from its request headers to its end). */
  private budget: RetryBudget | null = null;
  /** What pays for the retry this stream asked for and whose response has not come yet. */
  private grant: Grant = Grant.None;
  /** Retries the proxy accepted for this stream. */
  private retried: i32 = 0;

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as RetryRoot;
    const settings = root.settings;
    const headers = this.requestHeaders;
    // The request headers leave for the first attempt, and weir runs this callback once per
    // request, not per attempt; a host that runs it again for a retry is asked which attempt
    // it is on. (Not asking the first time saves a property lookup, ~10% of the filter's cost.)
    if (settings.attemptHeader.length > 0) {
      headers.set(settings.attemptHeader, this.budget === null ? "1" : this.attempt().toString());
    }
    if (settings.perTryTimeout.length > 0) headers.set(PER_TRY_TIMEOUT_HEADER, settings.perTryTimeout);
    if (this.budget === null) {
      const budget = root.budget;
      budget.requestStarted();
      this.budget = budget;
    }
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as RetryRoot;
    const settings = root.settings;
    const metrics = root.metrics as RetryMetrics;
    let budget = this.budget;
    if (budget === null) budget = root.budget;
    // The retry asked for last time has its answer: it is no longer in flight.
    if (this.grant != Grant.None) {
      budget.release(this.grant, false);
      this.grant = Grant.None;
    }
    const headers = this.responseHeaders;
    const status = parseStatus(headers.get(":status"));
    // The common case costs one header read: below 500 and not listed is never retried.
    if (status < 500 && !settings.isListed(status)) {
      if (this.retried > 0) metrics.succeeded(this.attempt());
      return Action.Continue;
    }
    let flags = headers.get(FLAGS_HEADER);
    if (flags === null) flags = getPropertyString("response.flags");
    const cause = causeOf(status, flags === null ? "" : flags, settings);
    if (!retries(cause, settings)) return Action.Continue;

    if (settings.idempotentOnly && !isIdempotent(this.requestHeaders.get(":method"))) {
      metrics.gaveUp(GiveUp.Method);
      return Action.Continue;
    }
    const attempt = this.attempt();
    if (attempt >= settings.maxAttempts) {
      metrics.gaveUp(GiveUp.MaxAttempts);
      return Action.Continue;
    }
    const grant = budget.acquire();
    if (grant == Grant.None) {
      metrics.budgetExhausted.increment();
      return Action.Continue;
    }
    const delay = root.jitter.below(backoffCeiling(attempt, settings.backoffBaseMs, settings.backoffMaxMs));
    if (!requestRetry(<i32>delay)) {
      budget.release(grant, true);
      metrics.gaveUp(GiveUp.HostRefused);
      return Action.Continue;
    }
    this.grant = grant;
    this.retried++;
    metrics.retried(cause);
    logDebug("retry: " + CAUSE_NAMES[<i32>cause] + " (" + status.toString() + ") on attempt " + attempt.toString() + ", next in " + delay.toString() + " ms");
    // Hold this response: the proxy discards it and runs this callback again on the next attempt's.
    return Action.Pause;
  }

  onDone(): void {
    const budget = this.budget;
    if (budget === null) return;
    budget.release(this.grant, false);
    this.grant = Grant.None;
    budget.requestEnded();
    this.budget = null;
  }

  /** The upstream attempt this stream is on; on hosts without `weir.attempt`, 1 plus the retries accepted here. */
  private attempt(): i64 {
    const attempt = upstreamAttempt();
    return attempt > 0 ? attempt : 1 + <i64>this.retried;
  }
}

registerFilter((id: u32): RootContext => new RetryRoot(id));
