// Choosing a side of a weighted split. A sticky key (a header or cookie value) is hashed
// with 32-bit FNV-1a over its UTF-8 bytes (http://www.isthe.com/chongo/tech/comp/fnv/) and
// the hash, read as a fraction of 2^32, is scaled to the total weight:
//
//   bucket = floor(fnv1a32(utf8(key)) × total / 2^32)
//
// so the same key always lands on the same cluster, and a weight change moves only the keys
// whose fraction crosses a boundary (raising the weight of the LAST cluster only moves keys
// onto it). Scaling uses the hash's high bits, which FNV mixes well; its low bits, which
// `hash % total` would use, are weak. The README states this so other tools can reproduce it.

const FNV_OFFSET: u32 = 2166136261;
const FNV_PRIME: u32 = 16777619;

/** 32-bit FNV-1a of the UTF-8 encoding of `text`. */
export function fnv1a32(text: string): u32 {
  let hash = FNV_OFFSET;
  let at = changetype<usize>(text);
  let end = at + (<usize>text.length << 1);
  let step: usize = 2; // ASCII: each UTF-16 code unit is its UTF-8 byte
  for (let p = at; p < end; p += 2) {
    if (load<u16>(p) >= 0x80) {
      // Not ASCII (rare for keys): hash the encoded bytes instead.
      const bytes = String.UTF8.encode(text);
      at = changetype<usize>(bytes);
      end = at + <usize>bytes.byteLength;
      step = 1;
      break;
    }
  }
  for (; at < end; at += step) hash = (hash ^ load<u8>(at)) * FNV_PRIME;
  return hash;
}

/** `hash` scaled to [0, total). */
export function bucket(hash: u32, total: u32): u32 {
  return <u32>((<u64>hash * <u64>total) >> 32);
}

/** xorshift32 (Marsaglia 2003): the fallback when a request has neither key nor request id. */
export class Xorshift32 {
  private state: u32 = 0x9e3779b9;

  constructor(seed: u32) {
    this.seed(seed);
  }

  /** Restarts the sequence from `seed` (0 is replaced: xorshift would stay at 0). */
  seed(seed: u32): void {
    this.state = seed == 0 ? 0x9e3779b9 : seed;
  }

  next(): u32 {
    let x = this.state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    this.state = x;
    return x;
  }
}
