// Base64url without padding (RFC 4648 §5), the encoding of every JWS part and JWK member
// (RFC 7515 §2). Strict: padding, whitespace and the standard alphabet's `+` and `/` are
// refused, so a token has exactly one spelling.

/** The 6-bit value of a base64url character, or 0xff. */
// @ts-ignore: decorator
@inline function sextet(c: u32): u32 {
  if (c - 0x41 < 26) return c - 0x41; // A-Z
  if (c - 0x61 < 26) return c - 0x61 + 26; // a-z
  if (c - 0x30 < 10) return c - 0x30 + 52; // 0-9
  if (c == 0x2d) return 62; // -
  if (c == 0x5f) return 63; // _
  return 0xff;
}

/** Decodes `text[start, end)`; null when it is not base64url. */
export function decodeBase64Url(text: string, start: i32 = 0, end: i32 = -1): ArrayBuffer | null {
  if (end < 0) end = text.length;
  const len = end - start;
  if (len % 4 == 1) return null;
  const out = new ArrayBuffer((len * 3) >> 2);
  const dst = changetype<usize>(out);
  let acc: u32 = 0;
  let bits: u32 = 0;
  let at: usize = 0;
  for (let i = start; i < end; i++) {
    const value = sextet(<u32>text.charCodeAt(i));
    if (value == 0xff) return null;
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(dst + at++, <u8>(acc >> bits));
    }
  }
  return out;
}

