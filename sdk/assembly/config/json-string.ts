// Decoding a JSON string's escapes (RFC 8259 §7): `\" \\ \/ \b \f \n \r \t` and `\uXXXX`,
// where a high surrogate must be followed by an escaped low one. Lone surrogates are
// rejected rather than turned into U+FFFD: a config with one is almost certainly broken.

let errorAt: i32 = 0;
let error: string = "";

/** Where the last failed `unescapeJsonString` stopped. */
export function escapeErrorAt(): i32 {
  return errorAt;
}

/** Why the last `unescapeJsonString` failed. */
export function escapeError(): string {
  return error;
}

/**
 * Decodes the string body between byte offsets `start` and `end` (without quotes) at `ptr`;
 * null when an escape is invalid (see `escapeError`).
 */
export function unescapeJsonString(ptr: usize, start: i32, end: i32): string | null {
  // Escapes never get longer when decoded, so the source length bounds the output.
  const out = heap.alloc(<usize>(end - start));
  let o = out;
  let i = start;
  while (i < end) {
    const c = <u32>load<u8>(ptr + <usize>i);
    if (c != 0x5c) {
      store<u8>(o++, <u8>c);
      i++;
      continue;
    }
    const e = <u32>load<u8>(ptr + <usize>(i + 1));
    i += 2;
    let code: i32 = -1;
    if (e == 0x22 || e == 0x5c || e == 0x2f) code = e;
    else if (e == 0x62) code = 0x08;
    else if (e == 0x66) code = 0x0c;
    else if (e == 0x6e) code = 0x0a;
    else if (e == 0x72) code = 0x0d;
    else if (e == 0x74) code = 0x09;
    else if (e == 0x75) {
      code = hex4(ptr, i, end);
      i += 4;
      if (code >= 0xd800 && code < 0xdc00) {
        const low = i + 6 <= end && load<u8>(ptr + <usize>i) == 0x5c && load<u8>(ptr + <usize>(i + 1)) == 0x75 ? hex4(ptr, i + 2, end) : -1;
        if (low < 0xdc00 || low > 0xdfff) code = -2;
        else {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        }
      } else if (code >= 0xdc00 && code < 0xe000) code = -2;
    }
    if (code < 0) {
      heap.free(out);
      errorAt = i;
      error = code == -2 ? "unpaired surrogate in a \\u escape" : "invalid escape in a string";
      return null;
    }
    o = writeUtf8(o, <u32>code);
  }
  const text = String.UTF8.decodeUnsafe(out, o - out);
  heap.free(out);
  return text;
}

/** Four hex digits at `at`, or -1. */
function hex4(ptr: usize, at: i32, end: i32): i32 {
  if (at + 4 > end) return -1;
  let code = 0;
  for (let k = 0; k < 4; k++) {
    const h = <u32>load<u8>(ptr + <usize>(at + k));
    let d: u32;
    if (h - 0x30 < 10) d = h - 0x30;
    else if ((h | 0x20) - 0x61 < 6) d = (h | 0x20) - 0x61 + 10;
    else return -1;
    code = (code << 4) | <i32>d;
  }
  return code;
}

/** Writes code point `code` as UTF-8 at `at`; returns the next position. */
function writeUtf8(at: usize, code: u32): usize {
  if (code < 0x80) {
    store<u8>(at, <u8>code);
    return at + 1;
  }
  if (code < 0x800) {
    store<u8>(at, <u8>(0xc0 | (code >> 6)));
    store<u8>(at + 1, <u8>(0x80 | (code & 0x3f)));
    return at + 2;
  }
  if (code < 0x10000) {
    store<u8>(at, <u8>(0xe0 | (code >> 12)));
    store<u8>(at + 1, <u8>(0x80 | ((code >> 6) & 0x3f)));
    store<u8>(at + 2, <u8>(0x80 | (code & 0x3f)));
    return at + 3;
  }
  store<u8>(at, <u8>(0xf0 | (code >> 18)));
  store<u8>(at + 1, <u8>(0x80 | ((code >> 12) & 0x3f)));
  store<u8>(at + 2, <u8>(0x80 | ((code >> 6) & 0x3f)));
  store<u8>(at + 3, <u8>(0x80 | (code & 0x3f)));
  return at + 4;
}
