// A hash table from u32 ids (context ids, http-call tokens) to objects: open addressing with
// linear probing, Fibonacci hashing and backward-shift deletion, so a lookup is one multiply
// and usually one probe, and neither insert nor delete allocates (except when it grows).
// Id 0 marks an empty slot; the host never uses it for a context (it is the VM's id) or a token.

// @ts-ignore: decorator
@inline const FIBONACCI: u32 = 0x9e3779b1;

export class IdTable<T> {
  private keys: StaticArray<u32>;
  private values: StaticArray<T | null>;
  private shift: u32;
  private mask: u32;
  /** Number of entries. */
  size: i32 = 0;

  constructor(bits: u32 = 5) {
    this.keys = new StaticArray<u32>(1 << bits);
    this.values = new StaticArray<T | null>(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
  }

  // @ts-ignore: decorator
  @inline private home(id: u32): u32 {
    return (id * FIBONACCI) >>> this.shift;
  }

  /** The object for `id`, or null. */
  get(id: u32): T | null {
    const keys = this.keys;
    let i = this.home(id);
    for (;;) {
      const key = unchecked(keys[i]);
      if (key == id) return unchecked(this.values[i]);
      if (key == 0) return null;
      i = (i + 1) & this.mask;
    }
    return null;
  }

  /** Stores `value` for `id` (replacing any previous one). */
  set(id: u32, value: T): void {
    if (<u32>(this.size + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    let i = this.home(id);
    for (;;) {
      const key = unchecked(keys[i]);
      if (key == id || key == 0) {
        if (key == 0) this.size++;
        unchecked((keys[i] = id));
        unchecked((this.values[i] = value));
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes `id` and returns its object, or null when absent. */
  remove(id: u32): T | null {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.home(id);
    for (;;) {
      const key = unchecked(keys[i]);
      if (key == 0) return null;
      if (key == id) break;
      i = (i + 1) & mask;
    }
    const removed = unchecked(values[i]);
    // Backward shift: pull later entries of the probe run into the hole.
    let hole = i;
    let j = (i + 1) & mask;
    for (;;) {
      const key = unchecked(keys[j]);
      if (key == 0) break;
      const h = this.home(key);
      // Move `j` into the hole unless its home lies cyclically in (hole, j].
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        unchecked((keys[hole] = key));
        unchecked((values[hole] = unchecked(values[j])));
        hole = j;
      }
      j = (j + 1) & mask;
    }
    unchecked((keys[hole] = 0));
    unchecked((values[hole] = null));
    this.size--;
    return removed;
  }

  /** Number of slots, for iterating with `keyAt`/`valueAt`. */
  get capacity(): i32 {
    return <i32>this.mask + 1;
  }

  /** The id in slot `i` (0 when empty). */
  keyAt(i: i32): u32 {
    return this.keys[i];
  }

  /** The object in slot `i` (null when empty). */
  valueAt(i: i32): T | null {
    return this.values[i];
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const bits = 33 - this.shift;
    this.keys = new StaticArray<u32>(1 << bits);
    this.values = new StaticArray<T | null>(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = unchecked(keys[i]);
      if (key != 0) this.set(key, changetype<T>(unchecked(values[i])));
    }
  }
}
