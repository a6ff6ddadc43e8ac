/**
 * What the proxy needs from a runtime (proxy/runtime/<name> implements it): listening
 * sockets, the admin server, upstream pools, files, timers, crypto. The proxy core uses
 * nothing else that is runtime-specific.
 */

import type { MeterFunction, ModuleCache } from "../abi/meter.ts";
import type { HostCrypto } from "../abi/types.ts";
import type { Clock } from "./cluster/clock.ts";
import type { EndpointConnector } from "./cluster-manager.ts";
import type { ListenerConfig } from "./config/types.ts";
import type { DownstreamRequest, ProxyResponse } from "./http/types.ts";

export type RequestHandler = (req: DownstreamRequest) => Promise<ProxyResponse>;

export interface ListenerHandle {
  readonly port: number;
  /** Stops accepting; resolves when open connections are done or `timeoutMs` passed (then they are closed). */
  close(timeoutMs: number): Promise<void>;
}

export interface RuntimeAdapter {
  readonly name: "node" | "deno" | "bun";
  listen(listener: ListenerConfig, handler: RequestHandler): Promise<ListenerHandle>;
  /** Serves a fetch-style app (the admin API). */
  serve(address: string, port: number, fetch: (request: Request) => Response | Promise<Response>): Promise<ListenerHandle>;
  connector: EndpointConnector;
  readFile(path: string): Promise<Uint8Array>;
  /** `path` relative to `base` (a directory), or `path` when it is absolute. */
  resolvePath(base: string, path: string): string;
  clock: Clock;
  crypto: HostCrypto;
  moduleCache?: ModuleCache;
  /** Runs the fuel-metering rewrite off the main thread (see `proxy/runtime/node/meter-worker.ts`). */
  meter?: MeterFunction;
  /** Where access-log lines go: "stdout", "stderr" or a file path. */
  logSink(path: string): (line: string) => void;
}
