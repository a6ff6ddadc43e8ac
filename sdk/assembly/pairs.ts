// The proxy-wasm "pairs" wire format for header maps, trailers, local-reply and http-call
// headers, and weir.verify_signature arguments (spec v0.2.1 §Serialization; cpp-host
// `src/pairs_util.cc`; golden bytes in test/fixtures/header-map-golden.ts):
//
//   u32le N                                     number of pairs
//   N × { u32le name_len; u32le value_len }     all sizes first
//   N × { name bytes; 0x00; value bytes; 0x00 } then the data, each string NUL-terminated
//
// The terminators are not counted in the lengths. An empty map is 0 bytes; when parsing, a
// 4-byte zero count and the spec's single 0x00 byte are accepted too.

/** One header (or trailer, or metadata entry): a lower-case name and its value. */
export class HeaderPair {
  constructor(public name: string, public value: string) {}
}

/** Serialized size of `pairs` in bytes (0 for an empty list). */
export function pairsSize(pairs: HeaderPair[]): usize {
  const n = pairs.length;
  if (n == 0) return 0;
  let size: usize = 4 + <usize>n * 10;
  for (let i = 0; i < n; i++) {
    const pair = unchecked(pairs[i]);
    size += <usize>String.UTF8.byteLength(pair.name) + <usize>String.UTF8.byteLength(pair.value);
  }
  return size;
}

/** Upper bound of the serialized size, without measuring the strings. */
export function pairsSizeBound(pairs: HeaderPair[]): usize {
  const n = pairs.length;
  if (n == 0) return 0;
  let size: usize = 4 + <usize>n * 10;
  for (let i = 0; i < n; i++) {
    const pair = unchecked(pairs[i]);
    size += (<usize>pair.name.length + <usize>pair.value.length) * 3;
  }
  return size;
}

/**
 * Writes `pairs` at `ptr`, which must hold `pairsSize(pairs)` (or `pairsSizeBound`) bytes;
 * returns the bytes written.
 */
export function writePairs(pairs: HeaderPair[], ptr: usize): usize {
  const n = pairs.length;
  if (n == 0) return 0;
  store<u32>(ptr, <u32>n);
  let data = ptr + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const pair = unchecked(pairs[i]);
    const nameLen = String.UTF8.encodeUnsafe(changetype<usize>(pair.name), pair.name.length, data);
    store<u8>(data + nameLen, 0);
    data += nameLen + 1;
    const valueLen = String.UTF8.encodeUnsafe(changetype<usize>(pair.value), pair.value.length, data);
    store<u8>(data + valueLen, 0);
    data += valueLen + 1;
    store<u32>(ptr + 4 + <usize>i * 8, <u32>nameLen);
    store<u32>(ptr + 8 + <usize>i * 8, <u32>valueLen);
  }
  return data - ptr;
}

/** Serializes `pairs` into a new buffer. */
export function encodePairs(pairs: HeaderPair[]): ArrayBuffer {
  const out = new ArrayBuffer(<i32>pairsSize(pairs));
  writePairs(pairs, changetype<usize>(out));
  return out;
}

/** Parses a serialized map; `null` when it is malformed. */
export function decodePairs(bytes: ArrayBuffer): HeaderPair[] | null {
  return decodePairsAt(changetype<usize>(bytes), <usize>bytes.byteLength);
}

/**
 * Parses `size` bytes at `ptr`. Returns `null` for a malformed buffer: a count or length
 * past the end, a missing NUL terminator, or bytes left over. Sizes are checked in 64-bit
 * arithmetic, so huge counts and lengths cannot wrap.
 */
export function decodePairsAt(ptr: usize, size: usize): HeaderPair[] | null {
  const out = new Array<HeaderPair>();
  if (size == 0 || (size == 1 && load<u8>(ptr) == 0)) return out;
  if (size < 4) return null;
  const n = <u64>load<u32>(ptr);
  const end = <u64>size;
  let data: u64 = 4 + n * 8;
  if (data > end) return null;
  for (let i: u64 = 0; i < n; i++) {
    const nameLen = <u64>load<u32>(ptr + <usize>(4 + i * 8));
    const valueLen = <u64>load<u32>(ptr + <usize>(8 + i * 8));
    if (data + nameLen + valueLen + 2 > end) return null;
    const nameAt = ptr + <usize>data;
    if (load<u8>(nameAt + <usize>nameLen) != 0) return null;
    const valueAt = nameAt + <usize>nameLen + 1;
    if (load<u8>(valueAt + <usize>valueLen) != 0) return null;
    out.push(new HeaderPair(String.UTF8.decodeUnsafe(nameAt, <usize>nameLen), String.UTF8.decodeUnsafe(valueAt, <usize>valueLen)));
    data += nameLen + valueLen + 2;
  }
  return data == end ? out : null;
}
