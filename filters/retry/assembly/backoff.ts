// Fully jittered exponential backoff (the AWS architecture blog's "full jitter", as Envoy and
// weir's route retries use it): before retry n the delay is uniform in
// [0, min(max, base·2^(n-1))), so retries of many clients spread out instead of arriving in
// waves. The random source is a xorshift32 generator: tiny, fast, and seedable, so tests can
// assert exact delays (`seed` in the config).

/** A seedable xorshift32 generator (Marsaglia 2003). */
export class Jitter {
  private state: u32;

  /** Any seed works: it is scrambled first, so 1, 2, 3… start far apart (and 0 is not left as a stuck state). */
  constructor(seed: u32) {
    // murmur3's fmix32 finaliser, on seed + golden ratio.
    let x = seed + 0x9e3779b9;
    x ^= x >> 16;
    x *= 0x85ebca6b;
    x ^= x >> 13;
    x *= 0xc2b2ae35;
    x ^= x >> 16;
    this.state = x == 0 ? 0x9e3779b9 : x;
  }

  /** The next 32 random bits. */
  next(): u32 {
    let x = this.state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    this.state = x;
    return x;
  }

  /** Uniform in [0, bound) (0 when bound is 0), by Lemire's multiply-shift. */
  below(bound: u32): u32 {
    return <u32>((<u64>this.next() * <u64>bound) >> 32);
  }
}

/** The backoff ceiling before retry `retry` (1 = the first retry): min(maxMs, baseMs·2^(retry-1)). */
export function backoffCeiling(retry: i64, baseMs: i64, maxMs: i64): u32 {
  const doublings = retry < 1 ? 0 : retry - 1 > 30 ? 30 : retry - 1;
  const ceiling = baseMs << doublings;
  return <u32>(ceiling > maxMs ? maxMs : ceiling);
}
