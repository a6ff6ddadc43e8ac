// The dispatcher's link to http-call bookkeeping, filled in by the first `httpCall`. A
// filter that never makes an http call thus carries none of that code (the pending-call
// table, response routing), and its streams skip the cleanup.

import { LogLevel } from "../abi/enums";
import { log } from "../abi/log";
import { Context } from "./context";

type Deliver = (token: u32, headerCount: u32, bodySize: u32, trailerCount: u32) => void;
type Forget = (origin: Context) => void;

let deliver: Deliver | null = null;
let forget: Forget | null = null;

/** Installs the pending-call registry (done by its first use). */
export function installCallHooks(deliverResponse: Deliver, forgetCalls: Forget): void {
  deliver = deliverResponse;
  forget = forgetCalls;
}

/** Routes `proxy_on_http_call_response` to the registry. */
export function deliverCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  const hook = deliver;
  if (hook === null) log(LogLevel.Warn, "http call response for unknown token " + token.toString() + " ignored");
  else hook(token, headerCount, bodySize, trailerCount);
}

/** Drops the calls a deleted context still waits for. */
export function forgetCallsOf(origin: Context): void {
  const hook = forget;
  if (hook !== null && origin.pendingCalls > 0) hook(origin);
}
