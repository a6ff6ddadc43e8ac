// Typed access to one header map of the current stream: request or response headers or
// trailers, or the headers and trailers of an http call's response. Reads are lazy — `get`
// fetches one value, never the whole map — and names are passed to the host as given
// (hosts compare them lower-cased, as Envoy does).

import {
  addHeaderMapValue,
  getHeaderMapPairs,
  getHeaderMapValue,
  getHeaderMapValueBytes,
  getHeaderMapValueBytesInto,
  hasHeaderMapValue,
  removeHeaderMapValue,
  replaceHeaderMapInteger,
  replaceHeaderMapValue,
  setHeaderMapPairs,
} from "./abi/header-map";
import { MapType } from "./abi/enums";
import { HeaderPair } from "./pairs";

/**
 * A header map of the stream whose callback is running. Get one from `HttpContext`
 * (`this.requestHeaders`, …) or from an `HttpCallResponse`.
 *
 * When it may be used: request headers from `onRequestHeaders` on (writable until the
 * request headers leave the filter: in `onRequestHeaders`, or while the request is paused
 * there); request trailers in `onRequestTrailers`; response headers and trailers likewise in
 * their callbacks; everything read-only in `onLog`. Outside its window a call fails the
 * filter with the status, e.g. `proxy_get_header_map_value(response headers, "x-a") failed: BAD_ARGUMENT`.
 *
 * @example
 * ```ts
 * const auth = this.requestHeaders.get("authorization"); // string | null
 * this.requestHeaders.remove("x-internal-token");
 * this.responseHeaders.set("x-filtered-by", "weir");
 * ```
 */
export class HeaderMap {
  constructor(readonly type: MapType) {}

  /** The first value of `name`, or null when it is absent. */
  get(name: string): string | null {
    return getHeaderMapValue(this.type, name);
  }

  /** The first value of `name` as raw bytes (as the client sent them), or null when absent. */
  getBytes(name: string): ArrayBuffer | null {
    return getHeaderMapValueBytes(this.type, name);
  }

  /**
   * `getBytes` into `reuse` when the value has the same length, else into a new buffer: for a
   * filter that reads the same header on every request without allocating. Null when absent.
   */
  getBytesInto(name: string, reuse: ArrayBuffer): ArrayBuffer | null {
    return getHeaderMapValueBytesInto(this.type, name, reuse);
  }

  /** Whether `name` is present (does not decode the value). */
  has(name: string): bool {
    return hasHeaderMapValue(this.type, name);
  }

  /** Every value of `name`, in order (fetches the whole map). */
  getAll(name: string): string[] {
    const pairs = getHeaderMapPairs(this.type);
    const out = new Array<string>();
    for (let i = 0; i < pairs.length; i++) {
      const pair = unchecked(pairs[i]);
      if (equalsIgnoreAsciiCase(pair.name, name)) out.push(pair.value);
    }
    return out;
  }

  /** Every entry, in order (fetches the whole map). */
  pairs(): HeaderPair[] {
    return getHeaderMapPairs(this.type);
  }

  /** Sets `name` to `value`, replacing all its values (or adding it). */
  set(name: string, value: string): void {
    replaceHeaderMapValue(this.type, name, value);
  }

  /**
   * Sets `name` to `value` in decimal, replacing all its values: `set(name, value.toString())`
   * without making the string (for counters such as `ratelimit-remaining` on every response).
   */
  setInteger(name: string, value: i64): void {
    replaceHeaderMapInteger(this.type, name, value);
  }

  /** Adds a value for `name`, keeping the ones it has. */
  add(name: string, value: string): void {
    addHeaderMapValue(this.type, name, value);
  }

  /** Removes every value of `name`; absent names are fine. */
  remove(name: string): void {
    removeHeaderMapValue(this.type, name);
  }

  /** Replaces the whole map with `pairs`. */
  setPairs(pairs: HeaderPair[]): void {
    setHeaderMapPairs(this.type, pairs);
  }
}

/** `a == b` comparing ASCII letters case-insensitively (header names are ASCII). */
export function equalsIgnoreAsciiCase(a: string, b: string): bool {
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) {
    let x = <u32>a.charCodeAt(i);
    let y = <u32>b.charCodeAt(i);
    if (x - 0x41 < 26) x |= 0x20;
    if (y - 0x41 < 26) y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

export const REQUEST_HEADERS = new HeaderMap(MapType.RequestHeaders);
export const REQUEST_TRAILERS = new HeaderMap(MapType.RequestTrailers);
export const RESPONSE_HEADERS = new HeaderMap(MapType.ResponseHeaders);
export const RESPONSE_TRAILERS = new HeaderMap(MapType.ResponseTrailers);
