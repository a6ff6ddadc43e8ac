// Properties (`proxy_get_property` / `proxy_set_property`): Envoy's attributes, plugin_*,
// weir.* and values a filter stores. Paths go out as `\0`-joined segments, the form Envoy
// requires (`request.path` is sent as `request\0path`); a segment that itself contains a dot
// (a header name) needs the array form. Values use Envoy's encoding: strings as UTF-8,
// integers as 8-byte little-endian, booleans as one byte.

import { Status } from "./enums";
import { callFailed, quote } from "./failure";
import { dropReturned, KEY, RETURN_DATA, RETURN_SIZE, returnedSize, takeBytes, takeString, Utf8Scratch, VALUE } from "./memory";

/** Encodes a dotted path into `KEY` as `\0`-joined segments; returns its pointer. */
function encodeDotted(path: string): usize {
  const ptr = KEY.encode(path);
  const end = ptr + KEY.length;
  for (let p = ptr; p < end; p++) if (load<u8>(p) == 0x2e) store<u8>(p, 0);
  return ptr;
}

/** Encodes `segments` into `scratch` joined by `\0`; returns its pointer. */
export function encodeSegments(segments: string[], scratch: Utf8Scratch): usize {
  let bound: usize = <usize>segments.length;
  for (let i = 0; i < segments.length; i++) bound += <usize>segments[i].length * 3;
  const ptr = scratch.reserve(bound);
  let at = ptr;
  for (let i = 0; i < segments.length; i++) {
    if (i > 0) store<u8>(at++, 0);
    const segment = segments[i];
    at += String.UTF8.encodeUnsafe(changetype<usize>(segment), segment.length, at);
  }
  scratch.length = at - ptr;
  return ptr;
}

// @ts-ignore: decorator
@external("env", "proxy_get_property")
declare function proxy_get_property(path: usize, pathSize: usize, returnData: usize, returnSize: usize): u32;

/** Fetches the property at `path` (already encoded in KEY); false when NOT_FOUND. */
function fetch(path: usize, display: string): bool {
  const status = proxy_get_property(path, KEY.length, RETURN_DATA, RETURN_SIZE);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound) return false;
  throw new Error(callFailed("proxy_get_property", quote(display), status));
}

/**
 * The property at dotted `path` (e.g. `request.path`) as bytes, or null when unknown.
 * Allowed in any callback; stream attributes (`request.*`, `source.*`, `connection.*`, …)
 * only in a stream's callbacks (or with the stream made current).
 */
export function getProperty(path: string): ArrayBuffer | null {
  return fetch(encodeDotted(path), path) ? takeBytes() : null;
}

/** The property at `segments` (e.g. `["request", "headers", "x-b3.id"]`) as bytes, or null. */
export function getPropertySegments(segments: string[]): ArrayBuffer | null {
  return fetch(encodeSegments(segments, KEY), segments.join(".")) ? takeBytes() : null;
}

/** The property at dotted `path` as a UTF-8 string, or null when unknown. */
export function getPropertyString(path: string): string | null {
  return fetch(encodeDotted(path), path) ? takeString() : null;
}

/** The integer property at `path` (8-byte little-endian), or `fallback` when unknown. */
export function getPropertyInt(path: string, fallback: i64 = 0): i64 {
  if (!fetch(encodeDotted(path), path)) return fallback;
  const size = returnedSize();
  const value = size == 8 ? load<i64>(<usize>load<u32>(RETURN_DATA)) : 0;
  dropReturned();
  if (size != 8) throw new Error("property " + quote(path) + " is not an 8-byte integer (got " + size.toString() + " bytes)");
  return value;
}

/** The boolean property at `path` (one byte), or `fallback` when unknown. */
export function getPropertyBool(path: string, fallback: bool = false): bool {
  if (!fetch(encodeDotted(path), path)) return fallback;
  const size = returnedSize();
  const value = size == 1 && load<u8>(<usize>load<u32>(RETURN_DATA)) != 0;
  dropReturned();
  if (size != 1) throw new Error("property " + quote(path) + " is not a boolean (got " + size.toString() + " bytes)");
  return value;
}

// @ts-ignore: decorator
@external("env", "proxy_set_property")
declare function proxy_set_property(path: usize, pathSize: usize, value: usize, valueSize: usize): u32;

/**
 * Stores `size` bytes at `value` under `path` (already encoded in KEY). Returns false when
 * the host has nowhere to keep it (NOT_FOUND, e.g. Envoy outside a stream).
 */
export function setPropertyAt(path: usize, display: string, value: usize, size: usize): bool {
  const status = proxy_set_property(path, KEY.length, value, size);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound) return false;
  throw new Error(callFailed("proxy_set_property", quote(display) + ", " + size.toString() + " bytes", status));
}

/** Sets the property at dotted `path` to `value`; false when the host cannot store it. */
export function setProperty(path: string, value: ArrayBuffer): bool {
  return setPropertyAt(encodeDotted(path), path, changetype<usize>(value), <usize>value.byteLength);
}

/** Sets the property at dotted `path` to the UTF-8 bytes of `value`. */
export function setPropertyString(path: string, value: string): bool {
  const ptr = VALUE.encode(value);
  return setPropertyAt(encodeDotted(path), path, ptr, VALUE.length);
}
