/**
 * Shared pieces of the SDK conformance tests (`test/conformance/*.test.ts`): what differs per
 * AssemblyScript SDK, a build-and-warm step for the filters in `test/conformance/filters/`
 * (see its README for what each filter does), and the injectable host parts the tests drive —
 * a log recorder, a manual clock and a scripted `proxy_http_call` upstream. Everything else is
 * the real host from `proxy/abi/`.
 *
 * @module
 */

import {
  type AbiVersion,
  createHost,
  type Filter,
  type FilterOptions,
  HeaderMap,
  type Host,
  type HttpCallRequest,
  type HttpCallResponse,
  type HttpCallUpstream,
  type HttpStream,
  type LocalReply,
  type LogEntry,
  type Timers,
} from "../../proxy/abi/index.ts";
import { buildFilter, type Sdk } from "../support/build-as.ts";

/** The conformance filters; each registers its root context under this name. */
export type FilterName = "add-header" | "auth" | "counter" | "tick";

/** A cold AssemblyScript build takes 5-20 s per filter and binaryen's first import ~12 s. */
export const PREPARE_TIMEOUT_MS = 180_000;

/** What differs between the two SDKs, as their sources and READMEs say. */
export interface SdkCase {
  sdk: Sdk;
  /** npm package and version the filters are written against. */
  package: string;
  /** ABI marker export → `filter.abi`. */
  abi: AbiVersion;
  /** The host log line `log(LogLevelValues.info, message)` becomes. */
  infoLine(message: string): string;
}

export const SDK_CASES: readonly SdkCase[] = [
  {
    sdk: "solo",
    package: "@solo-io/proxy-runtime@0.1.8",
    abi: "0.2.0",
    // `log()` → proxy_log(level, msg) (runtime.ts `export function log`).
    infoLine: (message) => message,
  },
  {
    sdk: "gcore",
    package: "@gcoredev/proxy-wasm-sdk-as@1.2.3",
    abi: "0.2.1",
    // `log()` → wasiLog → process.stdout.write(`[INFO]: ${msg}\n`) (assembly/fastedge/utils/runtime.ts),
    // i.e. WASI fd_write(1), which the host logs at info.
    infoLine: (message) => `[INFO]: ${message}`,
  },
];

/** The configuration each filter is loaded with unless a test says otherwise. */
export const DEFAULT_CONFIG: Record<FilterName, string | undefined> = {
  // Non-empty: solo 0.1.8's default onConfigure misreads an empty configuration (filters README).
  "add-header": "x-weir-added=yes",
  auth: undefined,
  counter: undefined,
  tick: undefined,
};

const built = new Map<string, Promise<Uint8Array>>();

/** The `.wasm` of `test/conformance/filters/<sdk>/<name>` (cached in `node_modules/.cache`). */
export function filterWasm(sdk: Sdk, name: FilterName): Promise<Uint8Array> {
  const key = `${sdk}/${name}`;
  let bytes = built.get(key);
  if (bytes === undefined) {
    bytes = buildFilter(sdk, name);
    built.set(key, bytes);
  }
  return bytes;
}

/**
 * Builds the filters and loads each once with the default limits in a throwaway host, so the
 * one-time costs (compiler, binaryen's import for fuel metering) land in `beforeAll` and not in
 * the first test. A load failure here is ignored: the tests report it precisely.
 */
export async function prepare(sdk: Sdk, names: FilterName[]): Promise<Record<FilterName, Uint8Array>> {
  const out = {} as Record<FilterName, Uint8Array>;
  const inert = { setInterval: () => 0, clearInterval: () => {}, setTimeout: () => 0, clearTimeout: () => {} };
  const host = createHost({ logger: () => {}, timers: inert });
  for (const name of names) {
    out[name] = await filterWasm(sdk, name);
    try {
      await host.loadFilter({ name: `warm-${name}`, module: out[name], rootId: name, config: DEFAULT_CONFIG[name] });
    } catch {
      // reported by the tests
    }
  }
  return out;
}

/** Loads `name` the way the filters README says: root id = folder name, its default config. */
export function loadFilter(
  host: Host,
  sdk: Sdk,
  name: FilterName,
  module: Uint8Array,
  options: Partial<FilterOptions> = {},
): Promise<Filter> {
  return host.loadFilter({ name: `${sdk}/${name}`, module, rootId: name, config: DEFAULT_CONFIG[name], ...options });
}

/** Records every host log line. */
export function recordLogs() {
  const entries: LogEntry[] = [];
  const logger = (entry: LogEntry) => void entries.push(entry);
  return { logger, entries };
}

interface ManualTimer {
  fn: () => void;
  ms: number;
  cleared: boolean;
}

/** A clock that never fires on its own: tests call `fn` of a recorded timer. */
export function manualTimers() {
  const intervals: ManualTimer[] = [];
  const timeouts: ManualTimer[] = [];
  const timers: Partial<Timers> = {
    setInterval: (fn, ms) => intervals.push({ fn, ms, cleared: false }) - 1,
    clearInterval: (handle) => {
      const timer = intervals[handle as number];
      if (timer) timer.cleared = true;
    },
    setTimeout: (fn, ms) => timeouts.push({ fn, ms, cleared: false }) - 1,
    clearTimeout: (handle) => {
      const timer = timeouts[handle as number];
      if (timer) timer.cleared = true;
    },
  };
  return { timers, intervals, timeouts };
}

/** One `proxy_http_call` the upstream received, settled by the test. */
export interface PendingCall {
  request: HttpCallRequest;
  signal: AbortSignal;
  resolve(response: HttpCallResponse): void;
  reject(error: Error): void;
}

/**
 * A `proxy_http_call` upstream with the named clusters. With `answer`, each call settles with
 * what it returns (an `Error` rejects); without, calls stay pending in `calls`.
 */
export function scriptedUpstream(clusters: string[], answer?: (request: HttpCallRequest) => HttpCallResponse | Error) {
  const calls: PendingCall[] = [];
  const upstream: HttpCallUpstream = {
    hasCluster: (name) => clusters.includes(name),
    call: (request, signal) =>
      new Promise<HttpCallResponse>((resolve, reject) => {
        calls.push({ request, signal, resolve, reject });
        if (answer === undefined) return;
        const result = answer(request);
        if (result instanceof Error) reject(result);
        else resolve(result);
      }),
  };
  return { upstream, calls };
}

/** A callout answer with just a `:status`. */
export const statusOnly = (status: number): HttpCallResponse => ({
  headers: [[":status", String(status)]],
  body: new Uint8Array(),
  trailers: [],
});

/** Lets promise callbacks and anything queued before it run. */
export const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A header-only GET from a client. */
export const clientRequest = (extra: Record<string, string> = {}): HeaderMap =>
  new HeaderMap({ ":method": "GET", ":path": "/", ":authority": "app", ...extra });

/** What the filter chain heard from one stream. */
export interface StreamRecord {
  replies: LocalReply[];
  resets: string[];
  continues: number;
}

/** A stream whose callbacks are recorded in `seen`. */
export function recordedStream(filter: Filter): { stream: HttpStream; seen: StreamRecord } {
  const seen: StreamRecord = { replies: [], resets: [], continues: 0 };
  const stream = filter.createStream({
    sendLocalReply: (reply) => void seen.replies.push(reply),
    continueRequest: () => void seen.continues++,
    resetStream: (details) => void seen.resets.push(details),
  });
  return { stream, seen };
}

export const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);
