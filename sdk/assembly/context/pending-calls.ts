// Http calls in flight, by token, with the context that made each and its callback.
// Responses always arrive at the root (`proxy_on_http_call_response(root, token, …)`); this
// registry makes the originating context effective again before its callback runs, as the
// Rust and Go SDKs do, and drops calls whose context is gone.

import { LogLevel } from "../abi/enums";
import { log } from "../abi/log";
import { useContext } from "../abi/stream";
import { HttpCallResponse } from "../http-call-response";
import { installCallHooks } from "./call-hooks";
import { Context, HttpCallback } from "./context";
import { IdTable } from "./id-table";

class PendingCall {
  constructor(public origin: Context, public callback: HttpCallback | null) {}
}

// Created by the first call, so filters without http calls do not build it at start-up.
let pending: IdTable<PendingCall> | null = null;
let response: HttpCallResponse | null = null;

/** Remembers that `origin` made the call `token`. */
export function registerCall(token: u32, origin: Context, callback: HttpCallback | null): void {
  let calls = pending;
  if (calls === null) {
    calls = new IdTable<PendingCall>();
    pending = calls;
    response = new HttpCallResponse();
    installCallHooks(deliverHttpCallResponse, forgetCalls);
  }
  calls.set(token, new PendingCall(origin, callback));
  origin.pendingCalls++;
}

function deliverHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  const call = changetype<IdTable<PendingCall>>(pending).remove(token);
  if (call === null) {
    log(LogLevel.Warn, "http call response for unknown token " + token.toString() + " ignored");
    return;
  }
  const origin = call.origin;
  origin.pendingCalls--;
  if (!origin.alive) return;
  useContext(origin.id);
  const reply = changetype<HttpCallResponse>(response);
  reply.token = token;
  reply.headerCount = headerCount;
  reply.bodySize = bodySize;
  reply.trailerCount = trailerCount;
  const callback = call.callback;
  if (callback !== null) callback(origin, reply);
  else origin.onHttpCallResponse(token, reply);
}

function forgetCalls(origin: Context): void {
  const calls = changetype<IdTable<PendingCall>>(pending);
  const tokens = new Array<u32>();
  for (let i = 0; i < calls.capacity; i++) {
    const call = calls.valueAt(i);
    if (call !== null && call.origin === origin) tokens.push(calls.keyAt(i));
  }
  for (let i = 0; i < tokens.length; i++) calls.remove(tokens[i]);
  origin.pendingCalls = 0;
}
