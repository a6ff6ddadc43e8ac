/**
 * Foreign functions as the test sees them: each function the filter may call through
 * `proxy_call_foreign_function` — the test's own and weir's built-ins (`weir.retry`, …) — is
 * wrapped so every call is recorded with its arguments, the stream it came from and what it
 * returned. The host still decides everything else (unknown names, capabilities, errors).
 */

import type { ForeignCall, ForeignFunction } from "../../proxy/abi/index.ts";
import type { TestHttpContext } from "./http-context.ts";

const decoder = new TextDecoder();

/**
 * One call a filter made to a foreign function.
 *
 * @example
 * ```ts
 * const [call] = host.foreignCalls;
 * expect(call).toMatchObject({ name: "compress", text: "hello" });
 * ```
 */
export interface ForeignFunctionCall {
  name: string;
  args: Uint8Array;
  /** `args` decoded as UTF-8. */
  text: string;
  /** The stream the call was made for, or undefined from the root context. */
  http: TestHttpContext | undefined;
  /** What the function returned, when it returned. */
  result: Uint8Array | string | undefined;
  /** What it threw (a `TypeError` becomes BAD_ARGUMENT for the filter, anything else INTERNAL_FAILURE). */
  error: unknown;
}

/**
 * Wraps every function in `registry` (the host's live map) so its calls land in the returned
 * list; `register` adds a function later, wrapped the same way.
 */
export function recordForeignFunctions(
  registry: Map<string, ForeignFunction>,
  httpOf: (stream: unknown) => TestHttpContext | undefined,
): { calls: ForeignFunctionCall[]; register(name: string, fn: ForeignFunction): void } {
  const calls: ForeignFunctionCall[] = [];
  const wrap =
    (name: string, fn: ForeignFunction): ForeignFunction =>
    (args: Uint8Array, call: ForeignCall) => {
      const record: ForeignFunctionCall = {
        name,
        args: args.slice(),
        text: decoder.decode(args),
        http: httpOf(call.stream),
        result: undefined,
        error: undefined,
      };
      calls.push(record);
      try {
        record.result = fn(args, call);
        return record.result;
      } catch (err) {
        record.error = err;
        throw err;
      }
    };
  for (const [name, fn] of registry) registry.set(name, wrap(name, fn));
  return { calls, register: (name, fn) => registry.set(name, wrap(name, fn)) };
}
