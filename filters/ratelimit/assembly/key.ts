// The logical key of a bucket: what identifies "this client of this descriptor" everywhere —
// in the local slot table (bucket.ts) and, later, as the Redis key of a global mode, so
// proxies that share a Redis share counters:
//
//   weir:rl:v1:<descriptor>:<component>|<component>|…
//
// Each component is UTF-8, percent-encoded (uppercase hex) except A-Z a-z 0-9 - . _ / : @,
// so `|` only separates and `~` only marks a hash. A component longer than 128 characters is
// (a header value: longer than 128 bytes) is replaced by `~` and the FNV-1a 64 hash of its
// UTF-8 bytes (16 hex digits); if the encoded
// components still exceed 192 bytes, all of them are replaced by `~<hash>` of that text. A key
// is therefore at most 11 + 64 + 1 + 192 = 268 bytes, whatever the client sends.

const MAX_RAW_COMPONENT = 128;
const MAX_COMPONENTS_PART = 192;
const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;
const HEX = "0123456789ABCDEF";
const HEX_LOWER = "0123456789abcdef";

/** Prefix + 8 components of at most 128 UTF-16 units, each up to 9 encoded bytes. */
const SCRATCH_SIZE = 16 * 1024;
const scratch = heap.alloc(SCRATCH_SIZE);
let at: usize = 0;
let partStart: usize = 0;

/** The longest key: `weir:rl:v1:` + a 64-character name + `:` + 192 bytes of components. */
export const MAX_KEY = 268;

/**
 * A finished key: its bytes (ASCII) and their hash, which picks the slots. Each descriptor
 * owns one and refills it per request, so building a key allocates nothing.
 */
export class Key {
  private readonly buffer: ArrayBuffer = new ArrayBuffer(MAX_KEY);
  /** Where the key's bytes are (in `buffer`, which the GC keeps while the key lives). */
  readonly ptr: usize = changetype<usize>(this.buffer);
  length: i32 = 0;
  hash: u64 = 0;

  /** The key as text (for logs). */
  text(): string {
    return String.UTF8.decodeUnsafe(this.ptr, <usize>this.length);
  }
}

/** Starts a key for a descriptor whose key prefix is `prefix` (`weir:rl:v1:<name>:`, ASCII). */
export function beginKey(prefix: ArrayBuffer): void {
  const length = <usize>prefix.byteLength;
  memory.copy(scratch, changetype<usize>(prefix), length);
  at = scratch + length;
  partStart = at;
}

/** Appends one component value. */
export function addComponent(value: string): void {
  if (at != partStart) store<u8>(at++, 0x7c); // |
  if (value.length > MAX_RAW_COMPONENT) {
    putHash(fnvUtf8(value));
    return;
  }
  for (let i = 0; i < value.length; i++) {
    let c = <u32>value.charCodeAt(i);
    if (c < 0x80) {
      if (isSafe(c)) store<u8>(at++, <u8>c);
      else putEscaped(c);
      continue;
    }
    c = codePoint(value, i, c);
    if (c > 0xffff) i++;
    putUtf8Escaped(c);
  }
}

/**
 * Appends one component given as UTF-8 bytes (a header value as the client sent it): the
 * same encoding as `addComponent`, with no string in between. Its length limit counts bytes.
 */
export function addComponentBytes(ptr: usize, length: usize): void {
  if (at != partStart) store<u8>(at++, 0x7c); // |
  if (length > <usize>MAX_RAW_COMPONENT) {
    let hash = FNV_OFFSET;
    for (let p = ptr; p < ptr + length; p++) hash = (hash ^ <u64>load<u8>(p)) * FNV_PRIME;
    putHash(hash);
    return;
  }
  for (let p = ptr; p < ptr + length; p++) {
    const c = <u32>load<u8>(p);
    if (c < 0x80 && isSafe(c)) store<u8>(at++, <u8>c);
    else putEscaped(c);
  }
}

/** Finishes the key started by `beginKey` into `key`. */
export function endKey(key: Key): Key {
  if (at - partStart > <usize>MAX_COMPONENTS_PART) {
    let hash = FNV_OFFSET;
    for (let p = partStart; p < at; p++) hash = (hash ^ <u64>load<u8>(p)) * FNV_PRIME;
    at = partStart;
    putHash(hash);
  }
  const length = <i32>(at - scratch);
  memory.copy(key.ptr, scratch, length);
  let hash = FNV_OFFSET;
  for (let p = scratch; p < at; p++) hash = (hash ^ <u64>load<u8>(p)) * FNV_PRIME;
  key.length = length;
  key.hash = hash;
  return key;
}

/** FNV-1a 64 of `value`'s UTF-8 bytes (lone surrogates as U+FFFD). */
export function fnvUtf8(value: string): u64 {
  let hash = FNV_OFFSET;
  for (let i = 0; i < value.length; i++) {
    let c = <u32>value.charCodeAt(i);
    if (c >= 0x80) {
      c = codePoint(value, i, c);
      if (c > 0xffff) i++;
    }
    const n = utf8Length(c);
    if (n == 1) hash = (hash ^ <u64>c) * FNV_PRIME;
    else {
      for (let k = n - 1; k >= 0; k--) hash = (hash ^ <u64>utf8Byte(c, n, k)) * FNV_PRIME;
    }
  }
  return hash;
}

// ---- encoding ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function isSafe(c: u32): bool {
  // A-Z a-z 0-9 - . _ / : @
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x40 && c <= 0x5a) || (c >= 0x2d && c <= 0x3a) || c == 0x5f;
}

/** The code point at `i` (first unit `c`): a surrogate pair joined, a lone surrogate → U+FFFD. */
function codePoint(value: string, i: i32, c: u32): u32 {
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < value.length) {
    const low = <u32>value.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
  }
  return 0xfffd;
}

// @ts-ignore: decorator
@inline
function utf8Length(c: u32): i32 {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/** Byte `k` counted from the end (k = n-1 is the lead byte) of `c`'s n-byte UTF-8 form. */
function utf8Byte(c: u32, n: i32, k: i32): u32 {
  if (k == n - 1) {
    const lead: u32 = n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0;
    return lead | (c >> (6 * k));
  }
  return 0x80 | ((c >> (6 * k)) & 0x3f);
}

function putUtf8Escaped(c: u32): void {
  const n = utf8Length(c);
  for (let k = n - 1; k >= 0; k--) putEscaped(utf8Byte(c, n, k));
}

function putEscaped(byte: u32): void {
  store<u8>(at, 0x25); // %
  store<u8>(at + 1, <u8>HEX.charCodeAt(<i32>(byte >> 4)));
  store<u8>(at + 2, <u8>HEX.charCodeAt(<i32>(byte & 15)));
  at += 3;
}

function putHash(hash: u64): void {
  store<u8>(at++, 0x7e); // ~
  for (let shift = 60; shift >= 0; shift -= 4) store<u8>(at++, <u8>HEX_LOWER.charCodeAt(<i32>((hash >> (<u64>shift)) & 15)));
}
