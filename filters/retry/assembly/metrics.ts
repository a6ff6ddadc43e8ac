// The filter's counters. Tags go into the name the SDK's way (`cause.reset.retry_attempts`);
// the tag values are few and known, so every counter is defined in `onConfigure` and the
// request path only increments (no `MetricFamily`: its name map costs ~4 KB of code).

import { Counter, taggedMetricName } from "../../../sdk/assembly";
import { CAUSE_NAMES, Cause } from "./policy";

/** Why a retriable failure was passed on instead (`reason` tag of `retry_given_up`). */
export enum GiveUp {
  /** `maxAttempts` reached. */
  MaxAttempts = 0,
  /** Not an idempotent method and `idempotentOnly`. */
  Method = 1,
  /** The proxy refused `weir.retry` (no retry support, its own limits or budget, a body it cannot replay). */
  HostRefused = 2,
}

const GIVE_UP_NAMES: string[] = ["max_attempts", "method", "host_refused"];

export class RetryMetrics {
  /** Retries the proxy accepted, by cause: `cause.<cause>.retry_attempts`. */
  private attempts: Counter[] = [];
  /** Retriable failures passed on, by reason: `reason.<reason>.retry_given_up`. */
  private givenUp: Counter[] = [];
  /** Retries this filter's budget refused. */
  readonly budgetExhausted: Counter = Counter.define("retry_budget_exhausted");
  /** Responses that ended a stream well after this filter retried it, by attempt: `attempt.<n>.retry_success_after_retry`. */
  private success: Counter[] = [];

  /** `maxAttempts` bounds the `attempt` tag of `retry_success_after_retry` (2 … maxAttempts). */
  constructor(maxAttempts: i64) {
    for (let cause = <i32>Cause.ServerError; cause <= <i32>Cause.Timeout; cause++) {
      this.attempts.push(Counter.define(taggedMetricName("retry_attempts", ["cause"], [CAUSE_NAMES[cause]])));
    }
    for (let reason = 0; reason < GIVE_UP_NAMES.length; reason++) {
      this.givenUp.push(Counter.define(taggedMetricName("retry_given_up", ["reason"], [GIVE_UP_NAMES[reason]])));
    }
    for (let attempt: i64 = 2; attempt <= maxAttempts; attempt++) {
      this.success.push(Counter.define(taggedMetricName("retry_success_after_retry", ["attempt"], [attempt.toString()])));
    }
  }

  retried(cause: Cause): void {
    unchecked(this.attempts[<i32>cause - <i32>Cause.ServerError]).increment();
  }

  gaveUp(reason: GiveUp): void {
    unchecked(this.givenUp[<i32>reason]).increment();
  }

  /** A response that is not a failure arrived on `attempt` after this filter retried (attempts beyond `maxAttempts` — the route's own retries — count as the last). */
  succeeded(attempt: i64): void {
    const success = this.success;
    if (success.length == 0) return;
    const index = <i32>(attempt < 2 ? 0 : attempt - 2);
    unchecked(success[index < success.length ? index : success.length - 1]).increment();
  }
}
