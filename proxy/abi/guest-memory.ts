/**
 * Checked access to a guest's linear memory. Every pointer and length a filter passes is
 * validated here; a bad one throws `MemoryFault`, which the import shims turn into
 * `INVALID_MEMORY_ACCESS` (6) — never a host crash (cpp-host checks every `getMemory`,
 * `src/exports.cc`). Views are re-created whenever the buffer was detached by `memory.grow`
 * ("Every call to grow will detach any references to the old buffer", MDN).
 *
 * Returned values follow cpp-host's `copyToPointerSize`: exactly one guest `malloc(len)` per
 * value, pointer and length written as little-endian u32s; ptr 0 / size 0 for an empty value.
 */

import { CHAR_LOOP_MAX, StringCache, utf8Length, writeUtf8 } from "./utf8.ts";

/** A guest pointer or length was out of bounds. */
export class MemoryFault extends Error {}

/** The guest allocator returned 0 or an out-of-bounds block. */
export class AllocationFault extends Error {}

export class GuestMemory {
  #memory: WebAssembly.Memory;
  #u8: Uint8Array;
  #view: DataView;
  readonly #strings = new StringCache();
  readonly #values = new StringCache(CHAR_LOOP_MAX + 1);
  /** The guest allocator (`malloc` or `proxy_on_memory_allocate`), set once exports are known. */
  allocate: (size: number) => number = () => 0;

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
    this.#u8 = new Uint8Array(memory.buffer);
    this.#view = new DataView(memory.buffer);
  }

  /**
   * The current bytes; stale views are replaced after growth. Growth detaches the old buffer,
   * which leaves our view with length 0 — checking that is much cheaper than reading
   * `memory.buffer` (a getter that allocates a handle) on every access.
   */
  get u8(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#refresh();
    return this.#u8;
  }

  get byteLength(): number {
    return this.u8.byteLength;
  }

  #refresh(): void {
    const buffer = this.#memory.buffer;
    this.#u8 = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
  }

  /** Throws `MemoryFault` unless `[ptr, ptr+len)` lies inside memory. Inputs are raw i32s. */
  check(ptr: number, len: number): void {
    const size = this.u8.byteLength;
    if ((ptr >>> 0) + (len >>> 0) > size) throw new MemoryFault(`[${ptr >>> 0}, +${len >>> 0}) is outside the ${size}-byte memory`);
  }

  /** A copy of `len` guest bytes at `ptr`. */
  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#u8.slice(ptr, ptr + len);
  }

  /** A view (no copy) valid until the next call into the guest. */
  view(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#u8.subarray(ptr, ptr + len);
  }

  /** UTF-8 string of `len` bytes at `ptr`: a name or key a filter passes again and again. */
  string(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#strings.decode(this.#u8, ptr, len);
  }

  /**
   * Like `string`, for a value that may differ on every call (a header value, a log line). It
   * is looked up apart from names and keys, so a changing value never evicts them, and a short
   * one is just decoded.
   */
  value(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.#values.decode(this.#u8, ptr, len);
  }

  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.#view.getUint32(ptr >>> 0, true);
  }

  setU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.#view.setUint32(ptr >>> 0, value >>> 0, true);
  }

  /**
   * A non-negative integer held in a double (a clock in ns, up to 2^64) as a little-endian
   * u64, without making a BigInt: the clocks are read on most requests.
   */
  setU64FromNumber(ptr: number, value: number): void {
    this.check(ptr, 8);
    const hi = Math.floor(value / 4294967296);
    this.#view.setUint32(ptr >>> 0, value - hi * 4294967296, true);
    this.#view.setUint32((ptr >>> 0) + 4, hi, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.#view.setBigUint64(ptr >>> 0, BigInt.asUintN(64, value), true);
  }

  #alloc(size: number): number {
    const ptr = this.allocate(size) >>> 0;
    if (ptr === 0 || ptr + size > this.u8.byteLength) throw new AllocationFault(`the guest allocator returned ${ptr} for ${size} bytes`);
    return ptr;
  }

  /**
   * Hands `bytes` to the guest: allocates a block, copies, and writes pointer and size into
   * the guest's return slots. The slots are checked before allocating, so a bad slot costs
   * no guest memory.
   */
  returnBytes(ptrSlot: number, sizeSlot: number, bytes: Uint8Array | undefined): void {
    this.#checkSlots(ptrSlot, sizeSlot);
    const len = bytes?.byteLength ?? 0;
    const ptr = len === 0 ? 0 : this.#alloc(len);
    if (len !== 0) this.#u8.set(bytes as Uint8Array, ptr);
    this.#writeSlots(ptrSlot, sizeSlot, ptr, len);
  }

  #checkSlots(ptrSlot: number, sizeSlot: number): void {
    const size = this.u8.byteLength;
    if ((ptrSlot >>> 0) + 4 > size || (sizeSlot >>> 0) + 4 > size) {
      throw new MemoryFault(`return slots ${ptrSlot >>> 0}/${sizeSlot >>> 0} are outside the ${size}-byte memory`);
    }
  }

  /** Writes pointer and length; the slots were checked, but `malloc` may have grown memory since. */
  #writeSlots(ptrSlot: number, sizeSlot: number, ptr: number, len: number): void {
    if (this.#u8.byteLength === 0) this.#refresh();
    this.#view.setUint32(ptrSlot >>> 0, ptr, true);
    this.#view.setUint32(sizeSlot >>> 0, len, true);
  }

  /** Like `returnBytes` for a string, encoded as UTF-8 straight into guest memory. */
  returnString(ptrSlot: number, sizeSlot: number, value: string): void {
    this.#checkSlots(ptrSlot, sizeSlot);
    const len = utf8Length(value);
    const ptr = len === 0 ? 0 : this.#alloc(len);
    if (len !== 0) writeUtf8(this.#u8, ptr, value);
    this.#writeSlots(ptrSlot, sizeSlot, ptr, len);
  }

  /** Allocates `len` bytes, lets `fill` write them, and returns the pointer to the guest's slots. */
  returnWith(ptrSlot: number, sizeSlot: number, len: number, fill: (u8: Uint8Array, ptr: number) => void): void {
    this.#checkSlots(ptrSlot, sizeSlot);
    const ptr = len === 0 ? 0 : this.#alloc(len);
    if (len !== 0) fill(this.#u8, ptr);
    this.#writeSlots(ptrSlot, sizeSlot, ptr, len);
  }
}
