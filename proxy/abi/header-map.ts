/**
 * An ordered, multi-valued header map with lower-cased names, as Envoy hands headers to
 * filters (`Http::LowerCaseString`). Pseudo-headers (`:method`, `:path`, `:authority`,
 * `:scheme`, `:status`) are ordinary entries. Names and values live in two parallel arrays so
 * the hot path allocates nothing per lookup.
 */

/** Anything a `HeaderMap` can be built from. */
export type HeaderInit = HeaderMap | Iterable<readonly [string, string]> | Record<string, string | readonly string[]>;

export class HeaderMap {
  #names: string[] = [];
  #values: string[] = [];

  constructor(init?: HeaderInit) {
    if (init === undefined) return;
    if (init instanceof HeaderMap) {
      this.#names = init.#names.slice();
      this.#values = init.#values.slice();
    } else if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.add(name, value);
    } else {
      for (const [name, value] of Object.entries(init)) {
        if (typeof value === "string") this.add(name, value);
        else for (const v of value) this.add(name, v);
      }
    }
  }

  /** Number of entries (a repeated name counts once per value). */
  get size(): number {
    return this.#names.length;
  }

  /** The first value of `name`, as proxy-wasm's `get_header_map_value` returns (spec issue #53). */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const names = this.#names;
    for (let i = 0; i < names.length; i++) if (names[i] === key) return this.#values[i];
    return undefined;
  }

  /**
   * `get` for a name given as bytes (a guest's key), without decoding it: compares the bytes,
   * ASCII-lower-cased, against the stored names. Returns `null` when the key is not ASCII, so
   * the caller falls back to decoding; `undefined` when absent.
   */
  getAscii(bytes: Uint8Array, start: number, end: number): string | undefined | null {
    const len = end - start;
    const names = this.#names;
    for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return null;
    outer: for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name.length !== len) continue;
      for (let j = 0; j < len; j++) {
        let c = bytes[start + j];
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        if (name.charCodeAt(j) !== c) continue outer;
      }
      return this.#values[i];
    }
    return undefined;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) if (this.#names[i] === key) out.push(this.#values[i]);
    return out;
  }

  has(name: string): boolean {
    return this.#names.indexOf(name.toLowerCase()) !== -1;
  }

  /** Appends an entry; duplicates are kept (`proxy_add_header_map_value`). */
  add(name: string, value: string): void {
    this.#names.push(name.toLowerCase());
    this.#values.push(value);
  }

  /** Replaces every value of `name` with one, keeping the first position, or appends it. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const names = this.#names;
    let found = -1;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== key) continue;
      if (found === -1) {
        found = i;
        this.#values[i] = value;
      } else {
        names.splice(i, 1);
        this.#values.splice(i, 1);
        i--;
      }
    }
    if (found === -1) {
      names.push(key);
      this.#values.push(value);
    }
  }

  /** Removes every value of `name`; absent names are fine. */
  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.#names.length - 1; i >= 0; i--) {
      if (this.#names[i] === key) {
        this.#names.splice(i, 1);
        this.#values.splice(i, 1);
      }
    }
  }

  /** Replaces the whole map (`proxy_set_header_map_pairs`). */
  replaceAll(pairs: Iterable<readonly [string, string]>): void {
    this.#names = [];
    this.#values = [];
    for (const [name, value] of pairs) this.add(name, value);
  }

  /** Name at position `i` (already lower case). */
  nameAt(i: number): string {
    return this.#names[i];
  }

  /** Value at position `i`. */
  valueAt(i: number): string {
    return this.#values[i];
  }

  /** A copy of the entries as `[name, value]` pairs. */
  entries(): [string, string][] {
    const out: [string, string][] = new Array(this.#names.length);
    for (let i = 0; i < out.length; i++) out[i] = [this.#names[i], this.#values[i]];
    return out;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }

  /** A plain object; repeated names are joined with `, ` as Envoy's `request.headers` does. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.#names.length; i++) {
      const name = this.#names[i];
      out[name] = name in out ? `${out[name]}, ${this.#values[i]}` : this.#values[i];
    }
    return out;
  }

  clone(): HeaderMap {
    return new HeaderMap(this);
  }
}
