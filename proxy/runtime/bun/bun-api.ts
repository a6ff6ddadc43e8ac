/**
 * The part of the `Bun` namespace this adapter uses, typed by hand: the repo type-checks with
 * Node's `tsc` and @types/node, which know nothing of Bun (test/runtimes/run.ts does the same
 * with a cast). Shapes follow bun-types 1.x; only what is called is declared.
 */

export interface SocketAddress {
  address: string;
  port: number;
  family: "IPv4" | "IPv6";
}

export interface Server {
  readonly port: number;
  readonly pendingRequests: number;
  /** Stops accepting; resolves once open connections closed. `true` closes them at once. */
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): SocketAddress | null;
}

export interface ServeOptions {
  port: number;
  hostname: string;
  /** Linux: several processes share the port (workers). */
  reusePort?: boolean;
  /** Off, or Bun answers errors with its HTML debug page. */
  development: boolean;
  /** Seconds a connection may sit idle (0: never closed for idling; at most 255). */
  idleTimeout?: number;
  /** Bodies past this get 413 from Bun itself (its default is 128 MiB). */
  maxRequestBodySize?: number;
  tls?: { cert: string; key: string };
  fetch(request: Request, server: Server): Response | Promise<Response>;
  error?(error: Error): Response | Promise<Response>;
}

export interface BunApi {
  readonly version: string;
  serve(options: ServeOptions): Server;
  file(path: string): { bytes(): Promise<Uint8Array>; text(): Promise<string> };
  dns: { lookup(host: string, options?: { family?: 0 | 4 | 6 }): Promise<{ address: string; family: 4 | 6 }[]> };
}

/** `RequestInit` with Bun's extra fields. */
export type BunRequestInit = RequestInit & {
  decompress?: boolean;
  tls?: { ca?: string; cert?: string; key?: string };
  duplex?: "half";
};

/** The `Bun` global; only read on Bun (importing this file elsewhere yields undefined). */
export const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;
