// Header maps: request/response headers and trailers, and the headers and trailers of an
// http call's response. Each raw import sits right above its typed wrapper. Names are sent
// as given (hosts lower-case them, as Envoy does); only the value asked for is fetched.

import { decodePairsAt, HeaderPair, pairsSizeBound, writePairs } from "../pairs";
import { MapType, mapName, Status } from "./enums";
import { callFailed, quote } from "./failure";
import { dropReturned, KEY, RETURN_DATA, RETURN_SIZE, returnedSize, takeBytes, takeBytesInto, takeString, VALUE } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
declare function proxy_get_header_map_value(map: u32, key: usize, keySize: usize, returnValue: usize, returnSize: usize): u32;

/** Asks for `name` in `map`: true when found, its value then waiting in the return slots. */
function fetchHeaderMapValue(map: MapType, name: string): bool {
  const key = KEY.encode(name);
  const status = proxy_get_header_map_value(map, key, KEY.length, RETURN_DATA, RETURN_SIZE);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound) return false;
  throw new Error(callFailed("proxy_get_header_map_value", mapName(map) + ", " + quote(name), status));
}

/** The first value of `name` in `map`, or null when absent (NOT_FOUND). */
export function getHeaderMapValue(map: MapType, name: string): string | null {
  return fetchHeaderMapValue(map, name) ? takeString() : null;
}

/** The first value of `name` in `map` as its bytes (no UTF-16 decoding), or null when absent. */
export function getHeaderMapValueBytes(map: MapType, name: string): ArrayBuffer | null {
  return fetchHeaderMapValue(map, name) ? takeBytes() : null;
}

/** `getHeaderMapValueBytes` into `reuse` when the value has its length (no allocation). */
export function getHeaderMapValueBytesInto(map: MapType, name: string, reuse: ArrayBuffer): ArrayBuffer | null {
  return fetchHeaderMapValue(map, name) ? takeBytesInto(reuse) : null;
}

/** Whether `map` has `name`, without decoding the value. */
export function hasHeaderMapValue(map: MapType, name: string): bool {
  if (!fetchHeaderMapValue(map, name)) return false;
  dropReturned();
  return true;
}

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
declare function proxy_get_header_map_pairs(map: u32, returnData: usize, returnSize: usize): u32;

/** Every entry of `map`, in order. */
export function getHeaderMapPairs(map: MapType): HeaderPair[] {
  const status = proxy_get_header_map_pairs(map, RETURN_DATA, RETURN_SIZE);
  if (status != Status.Ok) throw new Error(callFailed("proxy_get_header_map_pairs", mapName(map), status));
  const ptr = <usize>load<u32>(RETURN_DATA);
  const size = returnedSize();
  const pairs = decodePairsAt(ptr, size);
  dropReturned();
  if (pairs === null) {
    throw new Error("proxy_get_header_map_pairs(" + mapName(map) + ") returned a malformed map of " + size.toString() + " bytes");
  }
  return pairs;
}

// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
declare function proxy_set_header_map_pairs(map: u32, data: usize, size: usize): u32;

/** Replaces every entry of `map` with `pairs`. */
export function setHeaderMapPairs(map: MapType, pairs: HeaderPair[]): void {
  const ptr = VALUE.reserve(pairsSizeBound(pairs));
  const size = writePairs(pairs, ptr);
  const status = proxy_set_header_map_pairs(map, ptr, size);
  if (status != Status.Ok) throw new Error(callFailed("proxy_set_header_map_pairs", mapName(map), status));
}

// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
declare function proxy_add_header_map_value(map: u32, key: usize, keySize: usize, value: usize, valueSize: usize): u32;

/** Appends `name: value` to `map`, keeping existing values. */
export function addHeaderMapValue(map: MapType, name: string, value: string): void {
  const key = KEY.encode(name);
  const val = VALUE.encode(value);
  const status = proxy_add_header_map_value(map, key, KEY.length, val, VALUE.length);
  if (status != Status.Ok) {
    throw new Error(callFailed("proxy_add_header_map_value", mapName(map) + ", " + quote(name) + ", " + quote(value), status));
  }
}

// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
declare function proxy_replace_header_map_value(map: u32, key: usize, keySize: usize, value: usize, valueSize: usize): u32;

/** Sets `name` to `value` in `map`, replacing every existing value (or adding it). */
export function replaceHeaderMapValue(map: MapType, name: string, value: string): void {
  const key = KEY.encode(name);
  const val = VALUE.encode(value);
  const status = proxy_replace_header_map_value(map, key, KEY.length, val, VALUE.length);
  if (status != Status.Ok) {
    throw new Error(callFailed("proxy_replace_header_map_value", mapName(map) + ", " + quote(name) + ", " + quote(value), status));
  }
}

/** Sets `name` to `value` written in decimal, with no string in between. */
export function replaceHeaderMapInteger(map: MapType, name: string, value: i64): void {
  const key = KEY.encode(name);
  const val = VALUE.encodeInteger(value);
  const status = proxy_replace_header_map_value(map, key, KEY.length, val, VALUE.length);
  if (status != Status.Ok) {
    throw new Error(callFailed("proxy_replace_header_map_value", mapName(map) + ", " + quote(name) + ", " + value.toString(), status));
  }
}

// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
declare function proxy_remove_header_map_value(map: u32, key: usize, keySize: usize): u32;

/** Removes every value of `name` from `map`; an absent name is fine. */
export function removeHeaderMapValue(map: MapType, name: string): void {
  const key = KEY.encode(name);
  const status = proxy_remove_header_map_value(map, key, KEY.length);
  if (status != Status.Ok && status != Status.NotFound) {
    throw new Error(callFailed("proxy_remove_header_map_value", mapName(map) + ", " + quote(name), status));
  }
}
