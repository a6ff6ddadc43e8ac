// Routes the host's callbacks to context objects. Roots are few and kept in a list; streams
// live in an `IdTable` keyed by context id, so a stream callback costs one table lookup and
// one virtual call. A root that creates no stream contexts makes streams free: their
// callbacks find nothing and answer "continue".
//
// Plugin-level callbacks carry the root's id (shared/reference/proxy-wasm-abi.md §5.6).
// `proxy_on_vm_start` is lenient — it creates the root if the host skipped
// `proxy_on_context_create(root, 0)` — because the spec calls its first argument "unused".

import { BufferType, LogLevel } from "../abi/enums";
import { log } from "../abi/log";
import { enterContext } from "../abi/stream";
import { Config } from "../config/config";
import { deliverCallResponse, forgetCallsOf } from "./call-hooks";
import { Action, HttpContext } from "./http-context";
import { IdTable } from "./id-table";
import { RootContext } from "./root-context";

/** Creates the filter's root context for a plugin instance. */
export type RootFactory = (id: u32) => RootContext;

let factory: RootFactory | null = null;
const roots = new Array<RootContext>();
let lastRoot: RootContext | null = null;
const streams = new IdTable<HttpContext>(6);

/**
 * Registers the filter: `factory` creates its root context (one per plugin instance; the
 * `plugin_root_id` is not consulted). Call it once, at the top level of the entry file.
 *
 * @example
 * ```ts
 * export * from "../../sdk/assembly/exports";
 * registerFilter((id: u32): RootContext => new MyRoot(id));
 * ```
 */
export function registerFilter(rootFactory: RootFactory): void {
  factory = rootFactory;
}

function findRoot(id: u32): RootContext | null {
  const last = lastRoot;
  if (last !== null && last.id == id) return last;
  for (let i = 0; i < roots.length; i++) {
    const root = unchecked(roots[i]);
    if (root.id == id) {
      lastRoot = root;
      return root;
    }
  }
  return null;
}

function createRoot(id: u32): RootContext {
  const create = factory;
  if (create === null) throw new Error("no filter registered: call registerFilter(...) at the top level of the filter's entry file");
  const root = create(id);
  roots.push(root);
  lastRoot = root;
  return root;
}

function rootFor(id: u32, callback: string): RootContext {
  const root = findRoot(id);
  if (root === null) throw new Error(callback + ": no root context " + id.toString() + " (roots are created by proxy_on_context_create(id, 0))");
  enterContext(id);
  return root;
}

/** Logs the problems a config getter recorded; the configuration stands only without any. */
function accept(config: Config, ok: bool): u32 {
  const errors = config.errors;
  for (let i = 0; i < errors.length; i++) log(LogLevel.Error, errors[i]);
  return ok && errors.length == 0 ? 1 : 0;
}

export function onContextCreate(id: u32, parent: u32): void {
  enterContext(id);
  if (parent == 0) {
    if (findRoot(id) === null) createRoot(id);
    return;
  }
  const root = findRoot(parent);
  if (root === null) throw new Error("proxy_on_context_create(" + id.toString() + ", " + parent.toString() + "): no root context " + parent.toString());
  const context = root.createHttpContext(id);
  if (context !== null) streams.set(id, context);
}

export function onVmStart(id: u32, size: u32): u32 {
  enterContext(id);
  let root = findRoot(id);
  if (root === null) root = createRoot(id);
  const config = new Config(BufferType.VmConfiguration, size);
  return accept(config, root.onVmStart(config));
}

export function onConfigure(id: u32, size: u32): u32 {
  const config = new Config(BufferType.PluginConfiguration, size);
  return accept(config, rootFor(id, "proxy_on_configure").onConfigure(config));
}

export function onTick(id: u32): void {
  rootFor(id, "proxy_on_tick").onTick();
}

export function onQueueReady(id: u32, queueId: u32): void {
  rootFor(id, "proxy_on_queue_ready").onQueueReady(queueId);
}

export function onForeignFunction(id: u32, functionId: u32, size: u32): void {
  rootFor(id, "proxy_on_foreign_function").onForeignFunction(functionId, size);
}

export function onHttpCallResponse(id: u32, token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  enterContext(id);
  deliverCallResponse(token, headerCount, bodySize, trailerCount);
}

/** The stream context for a stream callback (null: the root created none). */
// @ts-ignore: decorator
@inline export function stream(id: u32): HttpContext | null {
  enterContext(id);
  return streams.get(id);
}

export function onDone(id: u32): u32 {
  const context = stream(id);
  if (context !== null) {
    context.onDone();
    return 1;
  }
  const root = findRoot(id);
  return root === null || root.onDone() ? 1 : 0;
}

export function onLog(id: u32): void {
  const context = stream(id);
  if (context !== null) context.onLog();
}

export function onDelete(id: u32): void {
  const context = streams.remove(id);
  enterContext(id);
  if (context !== null) {
    context.onDelete();
    context.alive = false;
    forgetCallsOf(context);
    return;
  }
  const root = findRoot(id);
  if (root === null) return;
  root.onDelete();
  root.alive = false;
  forgetCallsOf(root);
  const last = roots.length - 1;
  for (let i = 0; i < last; i++) if (unchecked(roots[i]) === root) unchecked((roots[i] = roots[last]));
  roots.length = last;
  lastRoot = null;
}

/** Continue unless a stream context says otherwise. */
export const CONTINUE: u32 = Action.Continue;
