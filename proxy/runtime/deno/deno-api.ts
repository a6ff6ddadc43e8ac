/**
 * The part of the `Deno` namespace this adapter uses, typed by hand: the repo type-checks with
 * Node's `tsc` and @types/node, which know nothing of Deno (test/runtimes/run.ts does the same
 * with a cast). Shapes follow Deno 2's `lib.deno.ns.d.ts`; only what is called is declared.
 */

export interface NetAddr {
  transport: "tcp" | "udp";
  hostname: string;
  port: number;
}

export interface ServeHandlerInfo {
  remoteAddr: NetAddr;
  /** Resolves when the response has been sent (or the connection failed). */
  completed: Promise<void>;
}

export interface ServeOptions {
  port: number;
  hostname: string;
  /** Linux: several processes share the port (needs `--unstable-net` in Deno 2). */
  reusePort?: boolean;
  cert?: string;
  key?: string;
  onListen?(addr: NetAddr): void;
  onError?(error: unknown): Response | Promise<Response>;
  handler(request: Request, info: ServeHandlerInfo): Response | Promise<Response>;
}

export interface HttpServer {
  readonly addr: NetAddr;
  readonly finished: Promise<void>;
  /** Stops accepting; resolves once in-flight requests finished. */
  shutdown(): Promise<void>;
}

export interface HttpClientOptions {
  /** Let `fetch` send the request's own `Host` header (by default Deno derives it from the URL). */
  allowHost?: boolean;
  caCerts?: string[];
  cert?: string;
  key?: string;
  poolMaxIdlePerHost?: number;
  poolIdleTimeout?: number | false;
  http1?: boolean;
  http2?: boolean;
}

export interface HttpClient {
  close(): void;
}

export interface FsEvent {
  kind: string;
  paths: string[];
}

export interface FsWatcher extends AsyncIterable<FsEvent> {
  close(): void;
}

export interface Writer {
  write(bytes: Uint8Array): Promise<number>;
}

export interface FsFile extends Writer {
  close(): void;
}

export type Signal = "SIGHUP" | "SIGINT" | "SIGTERM";

export interface DenoApi {
  readonly args: string[];
  readonly version: { deno: string };
  readonly stdout: Writer;
  readonly stderr: Writer;
  serve(options: ServeOptions): HttpServer;
  createHttpClient(options: HttpClientOptions): HttpClient;
  resolveDns(query: string, recordType: "A" | "AAAA"): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  readTextFileSync(path: string): string;
  open(path: string, options: { append?: boolean; create?: boolean; write?: boolean }): Promise<FsFile>;
  watchFs(paths: string, options?: { recursive: boolean }): FsWatcher;
  addSignalListener(signal: Signal, handler: () => void): void;
  removeSignalListener(signal: Signal, handler: () => void): void;
  exit(code?: number): never;
}

/** `RequestInit` with Deno's extra `client` field (and `duplex`, which streaming bodies need). */
export type DenoRequestInit = RequestInit & { client?: HttpClient; duplex?: "half" };

/** The `Deno` global; only read on Deno (importing this file elsewhere yields undefined). */
export const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
