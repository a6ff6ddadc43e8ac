// SHA-256 (FIPS 180-4) in AssemblyScript, for API keys: the proxy-wasm ABI has no hash
// function, and the config stores keys only as digests. Compact rather than clever — one
// block function over a reused 64-word schedule — since the keys it hashes are short.

// prettier-ignore
const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** The initial hash value (FIPS 180-4 §5.3.3). */
// prettier-ignore
const IV: StaticArray<u32> = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** The message schedule (64 words), the hash state (8 words) and the padded last blocks (128 bytes). */
const W: usize = memory.data(256);
const H: usize = memory.data(32);
const TAIL: usize = memory.data(128);

/** Byte length of a SHA-256 digest. */
export const DIGEST_SIZE: i32 = 32;

function compress(block: usize): void {
  for (let i: usize = 0; i < 64; i += 4) store<u32>(W + i, bswap<u32>(load<u32>(block + i)));
  for (let i: usize = 64; i < 256; i += 4) {
    const w15 = load<u32>(W + i - 60);
    const w2 = load<u32>(W + i - 8);
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(W + i, load<u32>(W + i - 64) + s0 + load<u32>(W + i - 28) + s1);
  }
  let a = load<u32>(H);
  let b = load<u32>(H, 4);
  let c = load<u32>(H, 8);
  let d = load<u32>(H, 12);
  let e = load<u32>(H, 16);
  let f = load<u32>(H, 20);
  let g = load<u32>(H, 24);
  let h = load<u32>(H, 28);
  for (let i = 0; i < 64; i++) {
    const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + unchecked(K[i]) + load<u32>(W + (<usize>i << 2));
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(H, load<u32>(H) + a);
  store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8);
  store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16);
  store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24);
  store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** Writes the SHA-256 digest of `len` bytes at `data` to the 32 bytes at `out`. */
export function sha256Into(data: usize, len: usize, out: usize): void {
  memory.copy(H, changetype<usize>(IV), 32);
  const full = len & ~(<usize>63);
  for (let at: usize = 0; at < full; at += 64) compress(data + at);
  // Padding: the remaining bytes, 0x80, zeros, and the bit length as a big-endian u64.
  const rest = len - full;
  const tail = TAIL;
  memory.fill(tail, 0, 128);
  memory.copy(tail, data + full, rest);
  store<u8>(tail + rest, 0x80);
  const blocks: usize = rest < 56 ? 1 : 2;
  store<u64>(tail + blocks * 64 - 8, bswap<u64>(<u64>len << 3));
  compress(tail);
  if (blocks == 2) compress(tail + 64);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(H + i)));
}

/** The SHA-256 digest of `text` encoded as UTF-8. */
export function sha256Text(text: string): ArrayBuffer {
  const bytes = String.UTF8.encode(text);
  const out = new ArrayBuffer(DIGEST_SIZE);
  sha256Into(changetype<usize>(bytes), <usize>bytes.byteLength, changetype<usize>(out));
  return out;
}

/**
 * Whether the 32-byte digest at `digest` is one of the `count` digests stored back to back at
 * `table`. Looks at every byte of every entry whatever matches, so the time taken says nothing
 * about how close a guess came.
 */
export function digestListed(digest: usize, table: usize, count: i32): bool {
  let found: u32 = 0;
  for (let i = 0; i < count; i++) {
    const entry = table + <usize>i * 32;
    let diff: u64 = 0;
    for (let j: usize = 0; j < 32; j += 8) diff |= load<u64>(digest + j) ^ load<u64>(entry + j);
    found |= <u32>(diff == 0);
  }
  return found != 0;
}
