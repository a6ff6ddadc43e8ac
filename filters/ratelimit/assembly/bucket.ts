// Token buckets in shared data, so every stream of every filter with this vm_id in the
// process draws from the same bucket, updated with compare-and-swap.
//
// Bounded storage. proxy-wasm shared data has no delete and no TTL, so one key per client
// would grow forever. Instead each descriptor owns a fixed table of `maxKeys` slots,
// `weir:rl:v1:<name>#<n>`, and a bucket lives in one of two slots chosen by its key's hash
// (two-choice hashing). A slot's value is the bucket and the logical key that owns it:
//
//   i64 LE tokens × 1e6 | i64 LE time of the last update (ms, host clock) | key (ASCII)
//
// A bucket that has refilled to capacity is indistinguishable from no bucket, so a slot whose
// owner is full again is free: a new key takes it over, and no sweep is ever needed. When both
// slots hold other, still-draining buckets, the newcomer evicts the fuller one; its owner
// gains at most the tokens it was missing.

import { CasResult, readSharedDataAt, SharedValue, setSharedDataAt, updateSharedData } from "../../../sdk/assembly";
import { Descriptor, UNIT } from "./descriptor";
import { Key } from "./key";

const STATE_SIZE = 16;
const MAX_ATTEMPTS = 10;

/** What `acquire` did. */
export enum Outcome {
  /** A token was taken. */
  Allowed,
  /** The bucket is empty. */
  Denied,
  /** Shared data refused the write or kept changing underneath (logged; the request passes). */
  Failed,
}

/** Tokens (× UNIT) left after `acquire`: after taking one, or what a denied request found. */
export let tokensLeft: i64 = 0;
/** The slot number `acquire` used (see `slotName`). */
export let slotUsed: u32 = 0;

// Slot keys are written into these buffers (prefix, then the number in decimal), so looking
// a bucket up makes no string: `weir:rl:v1:<name>#<n>` is at most 11 + 64 + 1 + 10 bytes.
const SLOT_KEY_SIZE = 96;
const firstKey = heap.alloc(SLOT_KEY_SIZE);
const secondKey = heap.alloc(SLOT_KEY_SIZE);

// The two candidate slots' values, read into the same buffers on every request.
const firstValue = new SharedValue(new ArrayBuffer(0), 0);
const secondValue = new SharedValue(new ArrayBuffer(0), 0);

/** Writes `d`'s key of slot `n` at `out`; returns its length. */
function slotKey(d: Descriptor, n: u32, out: usize): usize {
  const prefix = d.slotPrefixBytes;
  const length = <usize>prefix.byteLength;
  memory.copy(out, changetype<usize>(prefix), length);
  let digits: usize = 1;
  for (let rest = n / 10; rest > 0; rest /= 10) digits++;
  let p = out + length + digits;
  do {
    store<u8>(--p, <u8>(0x30 + (n % 10)));
    n /= 10;
  } while (n > 0);
  return length + digits;
}

/** The shared-data key of `d`'s slot `n` (for logs and `refund`). */
export function slotName(d: Descriptor, n: u32): string {
  return d.slotPrefix + n.toString();
}

/**
 * Takes a token for `key` at `now` (ms) from its bucket. `tokensLeft` and `slotUsed` tell
 * the rest. The CAS loop is written out rather than `updateSharedData`'s, because choosing
 * the slot needs both candidates' values, and a denied request writes nothing.
 */
export function acquire(d: Descriptor, key: Key, now: i64): Outcome {
  const first = <u32>(key.hash % <u64>d.maxKeys);
  let second = <u32>((key.hash >> 32) % <u64>d.maxKeys);
  if (second == first) second = (first + 1) % d.maxKeys; // stays first when maxKeys is 1
  const firstLength = slotKey(d, first, firstKey);
  let secondLength: usize = 0; // written only when needed
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The bucket may be in either slot: look in both before taking one over.
    const a = readSharedDataAt(firstKey, firstLength, firstValue) ? firstValue : null;
    let slot = first;
    let current = a;
    if (!owns(a, key)) {
      if (secondLength == 0 && second != first) secondLength = slotKey(d, second, secondKey);
      const b = second == first ? a : readSharedDataAt(secondKey, secondLength, secondValue) ? secondValue : null;
      if (owns(b, key)) {
        slot = second;
        current = b;
      } else {
        // Neither holds it: a free (empty or refilled) slot, else the fuller of the two.
        const fillA = fill(a, d, now);
        const fillB = fill(b, d, now);
        if (fillA < d.capacity && fillB >= fillA) {
          slot = second;
          current = b;
        }
      }
    }
    const owned = owns(current, key);
    let tokens = d.capacity;
    let last = now;
    if (owned) {
      const state = changetype<usize>((current as SharedValue).value);
      const stored = load<i64>(state, 8);
      tokens = refill(load<i64>(state), stored, now, d);
      if (stored > now) last = stored; // the wall clock stepped back: refill from the later time
    }
    slotUsed = slot;
    if (tokens < UNIT) {
      tokensLeft = tokens;
      return Outcome.Denied;
    }
    tokens -= UNIT;
    tokensLeft = tokens;
    const slotKeyPtr = slot == first ? firstKey : secondKey;
    const slotKeyLength = slot == first ? firstLength : secondLength;
    const result = setSharedDataAt(slotKeyPtr, slotKeyLength, encode(tokens, last, key), current === null ? 0 : current.cas);
    if (result == CasResult.Ok) return Outcome.Allowed;
    if (result == CasResult.Refused) return Outcome.Failed;
  }
  return Outcome.Failed;
}

// `refund` runs through `updateSharedData`, whose function cannot capture: it reads these.
let refundKey: Key | null = null;
let refundDescriptor: Descriptor | null = null;
let refundNow: i64 = 0;

/** Gives back the token `acquire` took from slot `slot` (a later descriptor denied the request). */
export function refund(d: Descriptor, key: Key, slot: u32, now: i64): bool {
  refundKey = key;
  refundDescriptor = d;
  refundNow = now;
  return updateSharedData(slotName(d, slot), giveBack, MAX_ATTEMPTS);
}

function giveBack(current: ArrayBuffer | null): ArrayBuffer | null {
  const key = refundKey as Key;
  const d = refundDescriptor as Descriptor;
  if (current === null || !holds(current, key)) return null; // taken over meanwhile: nothing to give back
  const state = changetype<usize>(current);
  const stored = load<i64>(state, 8);
  let tokens = refill(load<i64>(state), stored, refundNow, d) + UNIT;
  if (tokens > d.capacity) tokens = d.capacity;
  return encode(tokens, stored > refundNow ? stored : refundNow, key);
}

/** Tokens at `now` of a bucket holding `tokens` at `last`: refilled continuously, capped. */
export function refill(tokens: i64, last: i64, now: i64, d: Descriptor): i64 {
  if (tokens < 0) tokens = 0;
  if (tokens >= d.capacity) return d.capacity;
  if (now <= last) return tokens;
  const added = <f64>(now - last) * d.rate;
  return added >= <f64>(d.capacity - tokens) ? d.capacity : tokens + <i64>added;
}

/** How full another key's bucket in this slot is now (capacity when empty or unreadable). */
function fill(value: SharedValue | null, d: Descriptor, now: i64): i64 {
  if (value === null || value.value.byteLength < STATE_SIZE) return d.capacity;
  const state = changetype<usize>(value.value);
  return refill(load<i64>(state), load<i64>(state, 8), now, d);
}

function owns(value: SharedValue | null, key: Key): bool {
  return value !== null && holds(value.value, key);
}

function holds(value: ArrayBuffer, key: Key): bool {
  const length = key.length;
  if (value.byteLength != STATE_SIZE + length) return false;
  return memory.compare(changetype<usize>(value) + STATE_SIZE, key.ptr, length) == 0;
}

// The value written last, reused while the length stays the same (the host copies it).
let written = new ArrayBuffer(0);

function encode(tokens: i64, last: i64, key: Key): ArrayBuffer {
  const length = key.length;
  if (written.byteLength != STATE_SIZE + length) written = new ArrayBuffer(STATE_SIZE + length);
  const state = changetype<usize>(written);
  store<i64>(state, tokens);
  store<i64>(state, last, 8);
  memory.copy(state + STATE_SIZE, key.ptr, length);
  return written;
}
