/**
 * Properties (`proxy_get_property` / `proxy_set_property`): path parsing and value encoding.
 *
 * Paths are `\0`-joined segments (Rust/Go SDKs: no trailing NUL; C++ SDK: with one; both are
 * accepted). Like ngx_wasm_module — and unlike Envoy — a single dotted segment such as
 * `request.path` is also accepted, because the AssemblyScript SDKs pass the caller's string
 * verbatim (shared/reference/proxy-wasm-abi.md §1.6).
 *
 * Values use Envoy's encoding (`serializeValue`): strings and bytes as-is, integers as 8-byte
 * little-endian, doubles as 8 bytes, booleans as one byte, timestamps/durations as int64
 * nanoseconds, maps and lists in the pairs format (lists with empty values).
 */

import type { HeaderMap } from "./header-map.ts";
import { encodePairs } from "./pairs.ts";
import { encodeUtf8 } from "./utf8.ts";

/** A property's value as the embedder supplies it. `Date` becomes int64 nanoseconds. */
export type PropertyValue = string | Uint8Array | number | bigint | boolean | Date | readonly string[] | { readonly [key: string]: string };

/** Top-level attribute names whose next segment is a map key that may itself contain dots. */
const MAP_ATTRIBUTES = new Set(["request.headers", "response.headers", "response.trailers", "request.trailers"]);

/** Paths already split, by raw path: filters ask for the same few on every request. */
const parsedPaths = new Map<string, readonly string[]>();
const PARSED_PATHS_MAX = 512;

/**
 * Splits a raw property path into segments, accepting `\0`-joined and dotted forms. The
 * result is shared between calls with the same path (frozen).
 */
export function parsePropertyPath(raw: string): readonly string[] {
  let path = parsedPaths.get(raw);
  if (path === undefined) {
    path = Object.freeze(splitPropertyPath(raw));
    if (parsedPaths.size >= PARSED_PATHS_MAX) parsedPaths.clear();
    parsedPaths.set(raw, path);
  }
  return path;
}

function splitPropertyPath(raw: string): string[] {
  if (raw.includes("\0")) {
    const parts = raw.split("\0");
    if (parts[parts.length - 1] === "") parts.pop();
    return parts;
  }
  const dot = raw.indexOf(".");
  if (dot === -1) return [raw];
  // "request.headers.x-foo" → ["request", "headers", "x-foo"]; other dotted paths split fully.
  const second = raw.indexOf(".", dot + 1);
  if (second !== -1 && MAP_ATTRIBUTES.has(raw.slice(0, second))) {
    return [raw.slice(0, dot), raw.slice(dot + 1, second), raw.slice(second + 1)];
  }
  return raw.split(".");
}

/** Encodes `value` the way Envoy serializes attribute values. */
export function encodePropertyValue(value: PropertyValue): Uint8Array {
  if (typeof value === "string") return encodeUtf8(value);
  if (value instanceof Uint8Array) return value;
  if (typeof value === "boolean") return Uint8Array.of(value ? 1 : 0);
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    // The common case (ports, attempts, sizes) without a BigInt.
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, value >>> 0, true);
    view.setUint32(4, Math.floor(value / 0x100000000), true);
    return out;
  }
  if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
    return out;
  }
  if (typeof value === "number") {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, value, true);
    return out;
  }
  if (value instanceof Date) return encodePropertyValue(BigInt(value.getTime()) * 1_000_000n);
  if (Array.isArray(value)) return encodePairs(value.map((v) => [v, ""] as [string, string]));
  return encodePairs(Object.entries(value as Record<string, string>));
}

/**
 * `request.*` attributes derived from the live request headers, as Envoy defines them
 * (docs/root/intro/arch_overview/advanced/attributes.rst).
 */
export function requestAttribute(headers: HeaderMap | undefined, name: string, key?: string): PropertyValue | undefined {
  if (headers === undefined) return undefined;
  switch (name) {
    case "path":
      return headers.get(":path");
    case "url_path": {
      const path = headers.get(":path");
      if (path === undefined) return undefined;
      const q = path.indexOf("?");
      return q === -1 ? path : path.slice(0, q);
    }
    case "query": {
      const path = headers.get(":path") ?? "";
      const q = path.indexOf("?");
      return q === -1 ? "" : path.slice(q + 1);
    }
    case "host":
      return headers.get(":authority") ?? headers.get("host");
    case "scheme":
      return headers.get(":scheme");
    case "method":
      return headers.get(":method");
    case "referer":
      return headers.get("referer");
    case "useragent":
      return headers.get("user-agent");
    case "id":
      return headers.get("x-request-id");
    case "headers":
      return key === undefined ? headers.toObject() : headers.has(key) ? headers.getAll(key).join(", ") : undefined;
    default:
      return undefined;
  }
}
