// Guest memory on the ABI boundary: the allocator the host calls to hand us values, the
// return slots it writes their pointer and length into, and reusable UTF-8 scratch buffers
// for the strings we pass out (header names, values, property paths, log lines), so that
// passing a string to the host allocates nothing.
//
// Ownership follows the spec ("the host environment will request the Wasm module to allocate
// memory … passing memory ownership of that data to the Wasm module"): the host calls
// `malloc(len)` exactly once per returned value (cpp-host `copyToPointerSize`), writes ptr 0 /
// size 0 for an empty one, and we free each block as soon as it is decoded.
//
// Almost every returned value is small and decoded before the next call, so the first block
// the host asks for goes into a static arena, which taking the value frees again: no heap
// allocation and free per header read. A second block asked for while the arena still holds
// a value (one nobody took) comes from the heap, as before.

const ARENA_SIZE: usize = 1024;
const ARENA: usize = memory.data(<i32>ARENA_SIZE, 16);
let arenaInUse = false;

/** The allocator the host calls (exported as `malloc` and `proxy_on_memory_allocate`). */
export function malloc(size: usize): usize {
  if (!arenaInUse && size <= ARENA_SIZE) {
    arenaInUse = true;
    return ARENA;
  }
  return heap.alloc(size);
}

/** Gives back a block the host allocated with `malloc`. */
function release(ptr: usize): void {
  if (ptr == ARENA) arenaInUse = false;
  else heap.free(ptr);
}

// Two u32 slots for a returned pointer and size, then 8 bytes for a returned cas / u32 / u64.
const SLOTS: usize = memory.data(16, 8);

/** Where the host writes a returned value's pointer. */
export const RETURN_DATA: usize = SLOTS;
/** Where the host writes a returned value's size. */
export const RETURN_SIZE: usize = SLOTS + 4;
/** Where the host writes a returned scalar (cas, queue id, metric id, token, u64 value, …). */
export const RETURN_SCALAR: usize = SLOTS + 8;

/** The size of the value the last successful call returned. */
// @ts-ignore: decorator
@inline export function returnedSize(): usize {
  return <usize>load<u32>(RETURN_SIZE);
}

/** The returned value as a string (UTF-8 decoded); frees the host's block. */
export function takeString(): string {
  const ptr = <usize>load<u32>(RETURN_DATA);
  const len = <usize>load<u32>(RETURN_SIZE);
  if (ptr == 0) return "";
  const value = len == 0 ? "" : String.UTF8.decodeUnsafe(ptr, len);
  release(ptr);
  return value;
}

/** The returned value as a new ArrayBuffer; frees the host's block. */
export function takeBytes(): ArrayBuffer {
  const ptr = <usize>load<u32>(RETURN_DATA);
  const len = <i32>load<u32>(RETURN_SIZE);
  const out = new ArrayBuffer(len);
  if (ptr != 0) {
    memory.copy(changetype<usize>(out), ptr, <usize>len);
    release(ptr);
  }
  return out;
}

/**
 * The returned value in `reuse` when it has the same length (no allocation), else in a new
 * ArrayBuffer; frees the host's block.
 */
export function takeBytesInto(reuse: ArrayBuffer): ArrayBuffer {
  const len = <i32>load<u32>(RETURN_SIZE);
  if (reuse.byteLength != len) return takeBytes();
  const ptr = <usize>load<u32>(RETURN_DATA);
  if (ptr != 0) {
    memory.copy(changetype<usize>(reuse), ptr, <usize>len);
    release(ptr);
  }
  return reuse;
}

/** Frees the returned value without looking at it (e.g. for `has`). */
export function dropReturned(): void {
  const ptr = <usize>load<u32>(RETURN_DATA);
  if (ptr != 0) release(ptr);
}

/** Scratch blocks larger than this are released after use instead of being kept. */
const KEEP_LIMIT: usize = 16 * 1024;

/**
 * A reusable buffer a string is UTF-8 encoded into right before a host call. Valid until
 * the next `encode` on the same scratch; a call that passes two strings uses two scratches.
 */
export class Utf8Scratch {
  ptr: usize;
  capacity: usize;
  /** Byte length of the last encoded string. */
  length: usize = 0;
  private oversize: usize = 0;

  constructor(capacity: usize) {
    this.ptr = heap.alloc(capacity);
    this.capacity = capacity;
  }

  /** Encodes `value` and returns its pointer; its byte length is in `length`. */
  encode(value: string): usize {
    const units = <usize>value.length;
    const target = this.reserve(units * 3);
    this.length = String.UTF8.encodeUnsafe(changetype<usize>(value), <i32>units, target);
    return target;
  }

  /**
   * Writes `value` in decimal (a leading `-` when negative) and returns its pointer; its byte
   * length is in `length`. No string is made: header values that are counters cost no allocation.
   */
  encodeInteger(value: i64): usize {
    const target = this.reserve(20);
    let n: u64 = value < 0 ? <u64>(-value) : <u64>value; // -i64.MIN wraps to 2^63 as a u64
    let digits: usize = 1;
    for (let rest = n / 10; rest > 0; rest /= 10) digits++;
    const length = digits + (value < 0 ? 1 : 0);
    let p = target + length;
    do {
      store<u8>(--p, <u8>(0x30 + <u32>(n % 10)));
      n /= 10;
    } while (n > 0);
    if (value < 0) store<u8>(target, 0x2d);
    this.length = length;
    return target;
  }

  /** A block of at least `size` bytes, valid until the next `encode`/`reserve`. */
  reserve(size: usize): usize {
    if (this.oversize != 0) {
      heap.free(this.oversize);
      this.oversize = 0;
    }
    if (size <= this.capacity) return this.ptr;
    if (size > KEEP_LIMIT) {
      this.oversize = heap.alloc(size);
      return this.oversize;
    }
    heap.free(this.ptr);
    this.ptr = heap.alloc(size);
    this.capacity = size;
    return this.ptr;
  }
}

/** Scratch for the first string of a call: a header name, key, path, cluster or log line. */
export const KEY = new Utf8Scratch(256);
/** Scratch for the second string of a call: a header or property value. */
export const VALUE = new Utf8Scratch(256);
