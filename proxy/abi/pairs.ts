/**
 * The proxy-wasm "pairs" wire format for header maps, trailers, local-reply headers and
 * http-call headers (spec v0.2.1 §Serialization; cpp-host `src/pairs_util.cc`):
 *
 * ```text
 * u32le N                                   number of pairs
 * N × { u32le name_len; u32le value_len }   all sizes first
 * N × { name bytes; 0x00; value bytes; 0x00 } then the data, each string NUL-terminated
 * ```
 *
 * The terminators are not counted in the lengths. Like cpp-host, parsing is bounded: at most
 * 1 MiB and 1024 pairs (`include/proxy-wasm/limits.h`). An empty map is accepted as 0 bytes,
 * a 4-byte zero count, or a single 0x00 byte (spec: "an empty value (size=0), or … a single
 * 0x00 byte").
 */

import type { HeaderMap } from "./header-map.ts";
import { decodeUtf8, utf8Length, writeUtf8 } from "./utf8.ts";

/** Upper bound on a pairs buffer the host parses (cpp-host `PROXY_WASM_HOST_PAIRS_MAX_BYTES`). */
export const PAIRS_MAX_BYTES = 1024 * 1024;
/** Upper bound on pairs in one buffer (cpp-host `PROXY_WASM_HOST_PAIRS_MAX_COUNT`). */
export const PAIRS_MAX_COUNT = 1024;

type PairSource = HeaderMap | readonly (readonly [string, string])[];

function count(source: PairSource): number {
  return Array.isArray(source) ? source.length : (source as HeaderMap).size;
}
function nameAt(source: PairSource, i: number): string {
  return Array.isArray(source) ? source[i][0] : (source as HeaderMap).nameAt(i);
}
function valueAt(source: PairSource, i: number): string {
  return Array.isArray(source) ? source[i][1] : (source as HeaderMap).valueAt(i);
}

/** Serialized size of `source` in bytes (0 for an empty map, which is sent as ptr 0 / size 0). */
export function pairsSize(source: PairSource): number {
  const n = count(source);
  if (n === 0) return 0;
  let size = 4;
  for (let i = 0; i < n; i++) size += 10 + utf8Length(nameAt(source, i)) + utf8Length(valueAt(source, i));
  return size;
}

/** Writes `source` into `out` at `offset`; `out` must hold `pairsSize(source)` bytes. */
export function writePairs(source: PairSource, out: Uint8Array, offset: number): void {
  const n = count(source);
  if (n === 0) return;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(offset, n, true);
  let data = offset + 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const nameLen = writeUtf8(out, data, nameAt(source, i));
    out[data + nameLen] = 0;
    data += nameLen + 1;
    const valueLen = writeUtf8(out, data, valueAt(source, i));
    out[data + valueLen] = 0;
    data += valueLen + 1;
    view.setUint32(offset + 4 + i * 8, nameLen, true);
    view.setUint32(offset + 8 + i * 8, valueLen, true);
  }
}

/** Serializes `source` to a new buffer. */
export function encodePairs(source: PairSource): Uint8Array {
  const out = new Uint8Array(pairsSize(source));
  writePairs(source, out, 0);
  return out;
}

/**
 * Walks a pairs buffer, calling `onPair` with each name's and value's byte range. Returns
 * false for a malformed buffer (wrong terminators, lengths past the end, trailing bytes,
 * over the limits), so the caller picks the status.
 */
function scanPairs(bytes: Uint8Array, onPair: (nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void): boolean {
  const size = bytes.byteLength;
  if (size === 0 || (size === 1 && bytes[0] === 0)) return true;
  if (size < 4 || size > PAIRS_MAX_BYTES) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const n = view.getUint32(0, true);
  if (n > PAIRS_MAX_COUNT || 4 + n * 8 > size) return false;
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const nameLen = view.getUint32(4 + i * 8, true);
    const valueLen = view.getUint32(8 + i * 8, true);
    const valueStart = data + nameLen + 1;
    if (valueStart + valueLen + 1 > size || bytes[data + nameLen] !== 0 || bytes[valueStart + valueLen] !== 0) return false;
    onPair(data, data + nameLen, valueStart, valueStart + valueLen);
    data = valueStart + valueLen + 1;
  }
  return data === size;
}

/** Parses a pairs buffer keeping names as strings and values as raw bytes (signatures, keys). */
export function decodePairsRaw(bytes: Uint8Array): [string, Uint8Array][] | undefined {
  const out: [string, Uint8Array][] = [];
  const ok = scanPairs(bytes, (ns, ne, vs, ve) => out.push([decodeUtf8(bytes, ns, ne), bytes.slice(vs, ve)]));
  return ok ? out : undefined;
}

/** Parses a pairs buffer; `undefined` for a malformed one. */
export function decodePairs(bytes: Uint8Array): [string, string][] | undefined {
  const out: [string, string][] = [];
  const ok = scanPairs(bytes, (ns, ne, vs, ve) => out.push([decodeUtf8(bytes, ns, ne), decodeUtf8(bytes, vs, ve)]));
  return ok ? out : undefined;
}
