/**
 * Upstream attempts through the runtime's own `fetch`, the fast native client on Deno (hyper)
 * and Bun (its Zig HTTP client); both pool keep-alive connections per origin. Shared by the
 * Deno and Bun connectors, which pass what differs: extra `fetch` options (Deno's HttpClient,
 * Bun's `decompress: false` and `tls`), how their errors map to Envoy flags, and which
 * encodings `fetch` decodes whether asked to or not.
 *
 * Where `fetch` is not a transparent proxy client, and what this file does about it:
 * - Deno's fetch adds `accept-encoding: gzip,br` when the request has none; sending `identity`
 *   instead keeps the upstream from compressing a response the client never asked to be
 *   compressed (Bun adds none once `decompress` is off);
 * - Deno sends every stream chunked, dropping `content-length`: bodies that declare a length
 *   up to `bufferBodiesUpTo` are read whole first and sent with their length (some apps
 *   refuse chunked uploads with 411); longer ones still go chunked;
 * - Deno decodes gzip and br bodies unless the request's `accept-encoding` is exactly
 *   `identity`, whatever else it said (deno#12291), and leaves the headers as they were, so
 *   such a response loses `content-encoding` and `content-length` here (the client gets the
 *   decoded bytes, which any client accepts);
 * - both add `accept` (any type) and their own `user-agent` when absent (Deno also
 *   `accept-language: *`);
 * - the URL parser normalises the path (`/a/../b` is sent as `/b`, spaces are escaped);
 * - there is no connect timeout: the core's route and per-try timeouts abort the attempt;
 * - response trailers are not exposed.
 */

import { concatChunks } from "../../core/bytes.ts";
import type { EndpointClient } from "../../core/cluster-manager.ts";
import { type AbortLike, followAbort } from "../../core/http/abort.ts";
import { BodyChannel } from "../../core/http/body-channel.ts";
import { UpstreamError, type UpstreamFailure, type UpstreamRequest } from "../../core/http/types.ts";
import { chunksOf } from "./web-exchange.ts";

export interface FetchClientOptions {
  scheme: "http" | "https";
  /** Extra `fetch` options for every attempt to this endpoint. */
  init: object;
  /** The flag for a `fetch` rejection that was not an abort. */
  classify(err: unknown): UpstreamFailure;
  /** Whether this runtime's `fetch` decoded a body sent with `contentEncoding` for a request that sent `acceptEncoding`. */
  decoded?(acceptEncoding: string | null, contentEncoding: string): boolean;
  /** Sent as `accept-encoding` when the request has none (instead of the runtime's default). */
  acceptEncoding?: string;
  /** Read request bodies that declare a `content-length` up to this many bytes before sending (0: never). */
  bufferBodiesUpTo?: number;
  /**
   * Read response bodies that declare a `content-length` up to this many bytes whole before
   * answering (0: never): one read instead of a stream, which on Deno halves the CPU cost of a
   * small response. A failure while reading is then a failure before the response (UC).
   */
  bufferResponsesUpTo?: number;
  /** Releases the endpoint's pool. */
  close?(): void;
}

/** Wraps the core's body for `fetch` (a pull stream, so the upstream reads at its own pace). */
function requestBody(body: UpstreamRequest["body"]): BodyInit | null {
  if (body === null || body instanceof Uint8Array) return body as BodyInit | null;
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const step = await iterator.next();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** One chunk as a whole, ended body: the core takes it in one call, with no async step. */
function whole(chunk: Uint8Array): BodyChannel {
  const body = new BodyChannel();
  body.push(chunk, true);
  return body;
}

/** Reads a declared-length body whole, so `fetch` sends it with its length instead of chunked. */
async function collect(body: AsyncIterable<Uint8Array>, signal: AbortLike): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
  aborted.catch(() => {});
  const iterator = body[Symbol.asyncIterator]();
  for (;;) {
    const step = await Promise.race([iterator.next(), aborted]);
    if (step.done) break;
    chunks.push(step.value);
  }
  return concatChunks(chunks);
}

/** The text of an error and its causes, for runtimes that report the reason only in prose (Deno). */
export function errorText(err: unknown): string {
  let text = "";
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    text += ` ${String(e.message ?? e)}`;
  }
  return text;
}

export function createFetchClient(endpoint: string, options: FetchClientOptions): EndpointClient {
  const origin = `${options.scheme}://${endpoint}`;
  const decoded = options.decoded;
  return {
    async send(request) {
      const headers = new Headers(request.headers);
      headers.set("host", request.authority);
      if (options.acceptEncoding !== undefined && !headers.has("accept-encoding")) headers.set("accept-encoding", options.acceptEncoding);
      let source = request.body;
      if (source !== null && !(source instanceof Uint8Array) && (options.bufferBodiesUpTo ?? 0) > 0) {
        const declared = Number(headers.get("content-length") ?? Number.NaN);
        if (declared <= (options.bufferBodiesUpTo ?? 0)) {
          try {
            source = await collect(source, request.signal);
          } catch (err) {
            if (err instanceof UpstreamError) throw err;
            throw new UpstreamError("UC", `${endpoint}: the request body failed: ${(err as Error)?.message ?? err}`, {
              cause: err,
              endpoint,
            });
          }
        }
      }
      const body = requestBody(source);
      // One controller for the attempt: the core's abort and the headers timeout both end it.
      const attempt = followAbort(request.signal);
      const signal = attempt.signal;
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (request.headersTimeoutMs > 0) {
        timer = setTimeout(
          () => attempt.abort(new UpstreamError("UT", "upstream headers timeout", { endpoint })),
          request.headersTimeoutMs,
        );
      }
      let response: Response;
      try {
        response = await fetch(`${origin}${request.path}`, {
          ...options.init,
          method: request.method,
          headers,
          body,
          signal,
          redirect: "manual",
          ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (err) {
        if (signal.aborted && signal.reason instanceof UpstreamError) throw signal.reason;
        throw new UpstreamError(options.classify(err), `${endpoint}: ${errorText(err).trim()}`, { cause: err, endpoint });
      } finally {
        clearTimeout(timer);
      }
      const out: [string, string][] = [];
      response.headers.forEach((value, name) => {
        out.push([name, value]);
      });
      const encoding = response.headers.get("content-encoding");
      if (decoded !== undefined && encoding !== null && decoded(headers.get("accept-encoding"), encoding)) {
        for (let i = out.length - 1; i >= 0; i--) if (out[i][0] === "content-encoding" || out[i][0] === "content-length") out.splice(i, 1);
      }
      const status = response.status;
      const declared = Number(response.headers.get("content-length") ?? Number.NaN);
      let responseBody: AsyncIterable<Uint8Array> | null = null;
      if (request.method === "HEAD" || status === 204 || status === 304 || response.body === null || declared === 0) {
        void response.body?.cancel().catch(() => {});
      } else if (declared <= (options.bufferResponsesUpTo ?? 0)) {
        try {
          responseBody = whole(new Uint8Array(await response.arrayBuffer()));
        } catch (err) {
          if (signal.aborted && signal.reason instanceof UpstreamError) throw signal.reason;
          throw new UpstreamError("UC", `${endpoint}: the response body failed: ${errorText(err).trim()}`, { cause: err, endpoint });
        }
      } else responseBody = chunksOf(response.body);
      return {
        status,
        headers: out,
        body: responseBody,
        trailers: () => undefined,
        endpoint,
      };
    },
    async close() {
      options.close?.();
    },
  };
}
