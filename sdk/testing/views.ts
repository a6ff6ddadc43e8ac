/**
 * Snapshots a test reads from an HTTP context: one side of the stream (headers, trailers,
 * body) and the local response. Bodies come as UTF-8 text (`body`) and as bytes
 * (`bodyBytes`); header maps are the host's own `HeaderMap`, so `get`, `getAll`, `has`
 * and `toObject` work, as does the `toHaveHeader` matcher.
 */

import { HeaderMap, type LocalReply } from "../../proxy/abi/index.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** `string` → UTF-8 bytes; bytes pass through. */
export const toBytes = (value: string | Uint8Array): Uint8Array => (typeof value === "string" ? encoder.encode(value) : value);

/**
 * One side of a stream as the filter left it.
 *
 * @example
 * ```ts
 * expect(http.request.headers).toHaveHeader("x-auth", "ok");
 * expect(http.response.body).toBe("hello");
 * ```
 */
export interface MessageView {
  /** The live header map (the filter edits it in place), or undefined before the headers were sent. */
  readonly headers: HeaderMap | undefined;
  readonly trailers: HeaderMap | undefined;
  /** The body decoded as UTF-8: what the filter let through plus what it still buffers. */
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  /** True once the end of stream was sent (headers or body with `endOfStream`, or trailers). */
  readonly ended: boolean;
  /** True while the filter holds this side (paused and not continued). */
  readonly paused: boolean;
}

/**
 * A local response (`proxy_send_local_response`, or the host's 503 for a failed filter).
 *
 * @example
 * ```ts
 * expect(http.localResponse).toMatchObject({ status: 401, body: "unauthorized", details: "auth_denied" });
 * ```
 */
export interface LocalResponse {
  status: number;
  headers: HeaderMap;
  body: string;
  bodyBytes: Uint8Array;
  /** Envoy's response code details, e.g. `auth_denied` (whitespace becomes `_`). */
  details: string;
  /** 0..16, or undefined when the filter passed none. */
  grpcStatus: number | undefined;
}

/** Builds a {@linkcode MessageView} from the stream's state and the kit's record of one side. */
export function messageView(
  headers: HeaderMap | undefined,
  trailers: HeaderMap | undefined,
  side: { ended: boolean; forwarded: readonly Uint8Array[] },
  buffered: Uint8Array,
  paused: boolean,
): MessageView {
  const bodyBytes = concat([...side.forwarded, buffered]);
  return { headers, trailers, body: decoder.decode(bodyBytes), bodyBytes, ended: side.ended, paused };
}

export function toLocalResponse(reply: LocalReply | undefined): LocalResponse | undefined {
  if (reply === undefined) return undefined;
  return {
    status: reply.status,
    headers: new HeaderMap(reply.headers),
    body: decoder.decode(reply.body),
    bodyBytes: reply.body,
    details: reply.details,
    grpcStatus: reply.grpcStatus,
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.byteLength > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const out = new Uint8Array(nonEmpty.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of nonEmpty) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
