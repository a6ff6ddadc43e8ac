/**
 * vitest matchers for filters under test, and their types. `import "weir/testing/matchers"`
 * installs them on vitest's `expect`; `installMatchers()` does the same for a given `expect`.
 * Failure messages show what the filter actually did: the callback's status, the local
 * response, the headers present, the lines logged.
 */

import { expect as vitestExpect } from "vitest";
import type { LogLevelName } from "../../proxy/abi/index.ts";
import { matches } from "./logs.ts";
import { describeExpectation, describeStream, headerPairs, type ResponseExpectation, respondedAs, show } from "./matcher-support.ts";
import { type Action, type CallbackResult, describeResult } from "./results.ts";

/**
 * The matchers `installMatchers` adds, merged into vitest's `Assertion` type.
 *
 * @example
 * ```ts
 * expect(http.requestHeaders({ ":path": "/" })).toPause();
 * expect(http).toRespondWith(401, { body: "unauthorized" });
 * expect(http.request.headers).toHaveHeader("x-auth", "ok");
 * expect(host).toHaveLogged("warn", /unknown cluster/);
 * ```
 */
export interface WeirMatchers<R = unknown> {
  /** The callback result (or stream) goes on: `action` is "continue". */
  toContinue(): R;
  /** The filter holds the stream to resume it later: `action` is "pause". */
  toPause(): R;
  /** The stream was finished here (local response, reset, failure): `action` is "stop". */
  toStop(): R;
  /** The HTTP context got a local response with `status` (and, if given, this body, these headers, these details). */
  toRespondWith(status: number, expected?: ResponseExpectation): R;
  /** A header set (a `HeaderMap`, pairs or a plain object) has `name`, with a value equal to or matching `value` if given. */
  toHaveHeader(name: string, value?: string | RegExp): R;
  /** The test host (or its `logs`) has a line at `level` containing `pattern` (a string) or matching it (a RegExp). */
  toHaveLogged(level: LogLevelName, pattern: string | RegExp): R;
}

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: must repeat vitest's own declaration to merge with it
  interface Assertion<T = any> extends WeirMatchers<T> {}
  interface AsymmetricMatchersContaining extends WeirMatchers {}
}

interface MatcherContext {
  isNot: boolean;
}
type MatcherResult = { pass: boolean; message: () => string };

function actionMatcher(expected: Action) {
  return function (this: MatcherContext, received: unknown): MatcherResult {
    if (typeof received !== "object" || received === null || !("action" in received)) {
      throw new TypeError(
        `to${expected[0].toUpperCase()}${expected.slice(1)}() needs a callback result or an HTTP context, got ${show(received)}`,
      );
    }
    const actual = (received as { action: Action }).action;
    const what = "callback" in received ? describeResult(received as CallbackResult) : describeStream(received);
    return {
      pass: actual === expected,
      message: () => (this.isNot ? `expected not to ${expected}, but: ${what}` : `expected to ${expected}, but: ${what}`),
    };
  };
}

/**
 * The matcher implementations, for `expect.extend`.
 *
 * @example
 * ```ts
 * expect.extend(weirMatchers);
 * ```
 */
export const weirMatchers = {
  toContinue: actionMatcher("continue"),
  toPause: actionMatcher("pause"),
  toStop: actionMatcher("stop"),

  toRespondWith(this: MatcherContext, received: unknown, status: number, expected: ResponseExpectation = {}): MatcherResult {
    if (typeof received !== "object" || received === null || !("localResponse" in received)) {
      throw new TypeError(`toRespondWith() needs an HTTP context (host.http()), got ${show(received)}`);
    }
    const { pass, actual } = respondedAs(received, status, expected);
    return {
      pass,
      message: () => `expected ${this.isNot ? "no " : ""}local response ${describeExpectation(status, expected)}, but ${actual}`,
    };
  },

  toHaveHeader(this: MatcherContext, received: unknown, name: string, value?: string | RegExp): MatcherResult {
    const pairs = headerPairs(received);
    const key = name.toLowerCase();
    const values = pairs === undefined ? [] : pairs.filter(([k]) => k === key).map(([, v]) => v);
    const pass =
      value === undefined ? values.length > 0 : values.some((v) => (typeof value === "string" ? v === value : matches(v, value)));
    const want = value === undefined ? `header "${key}"` : `header "${key}: ${value}"`;
    const got =
      pairs === undefined
        ? `there are no headers (${show(received)}): were they sent?`
        : `the headers are:\n${pairs.map(([k, v]) => `  ${k}: ${v}`).join("\n") || "  (none)"}`;
    return { pass, message: () => `expected ${this.isNot ? "no " : ""}${want}, but ${got}` };
  },

  toHaveLogged(this: MatcherContext, received: unknown, level: LogLevelName, pattern: string | RegExp): MatcherResult {
    const logs = typeof received === "object" && received !== null && "logs" in received ? (received as { logs: unknown }).logs : received;
    const lines = (logs as Record<string, unknown> | null)?.[level];
    if (!Array.isArray(lines)) throw new TypeError(`toHaveLogged() needs a test host or its logs, got ${show(received)}`);
    const pass = lines.some((line: string) => matches(line, pattern));
    const shown =
      lines.length === 0 ? `nothing was logged at ${level}` : `the ${level} lines are:\n${lines.map((l: string) => `  ${l}`).join("\n")}`;
    return { pass, message: () => `expected ${this.isNot ? "no " : "a "}${level} line matching ${String(pattern)}, but ${shown}` };
  },
};

/**
 * Installs weir's matchers on `expect` (vitest's by default). `import "weir/testing/matchers"`
 * calls it for you.
 *
 * @example
 * ```ts
 * import { expect } from "vitest";
 * import { installMatchers } from "weir/testing";
 * installMatchers(expect);
 * ```
 */
export function installMatchers(target: { extend(matchers: object): void } = vitestExpect): void {
  target.extend(weirMatchers);
}

export type { ResponseExpectation };
