/**
 * A minimal reader for the parts of a WebAssembly binary the host checks before it compiles a
 * filter: function types, imports (with their signatures), exports, the memory limits and the
 * start function. JS hosts cannot rely on link-time signature checks — "JS import functions are
 * not arity/type checked at link time" (shared/reference/proxy-wasm-abi.md §5.9) — so this is
 * what lets a mistyped import fail at load, as it does in cpp-host (`src/v8/v8.cc:397`).
 */

/** A function signature written as `"i32,i32->i32"` (empty sides for none). */
export type Signature = string;

export interface WasmImport {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  /** For functions: the signature, or `undefined` when the type is not a plain function type. */
  signature?: Signature;
}

export interface WasmExport {
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  index: number;
  /** For functions defined in or imported by the module. */
  signature?: Signature;
}

export interface MemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
  memory64: boolean;
  imported: boolean;
}

export interface WasmModuleInfo {
  imports: WasmImport[];
  exports: WasmExport[];
  memories: MemoryLimits[];
  hasStartSection: boolean;
}

const KINDS = ["function", "table", "memory", "global", "tag"] as const;
const VALTYPES: Record<number, string> = { 127: "i32", 126: "i64", 125: "f32", 124: "f64", 123: "v128" };

/** Thrown for bytes that are not a well-formed WebAssembly binary. */
export class WasmFormatError extends Error {}

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.byteLength,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of section at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new WasmFormatError(`LEB128 too long at byte ${this.pos}`);
    }
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new WasmFormatError(`name runs past its section at byte ${this.pos}`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits(): { initial: number; maximum: number | undefined; shared: boolean; memory64: boolean } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  }
}

function readValtypes(r: Reader): string[] | undefined {
  const n = r.u32();
  const out: string[] = [];
  let plain = true;
  for (let i = 0; i < n; i++) {
    const t = r.byte();
    const name = VALTYPES[t];
    if (name === undefined) {
      plain = false;
      // Reference types may carry a heap type immediate (GC proposal); skip it.
      if (t === 0x64 || t === 0x63) r.u32();
    } else out.push(name);
  }
  return plain ? out : undefined;
}

/** Parses the sections the host needs. Throws `WasmFormatError` for malformed bytes. */
export function readModuleInfo(bytes: Uint8Array): WasmModuleInfo {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError("missing the \\0asm magic number");
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new WasmFormatError(`unsupported binary version ${bytes[4]}`);
  }
  const types: (Signature | undefined)[] = [];
  const funcTypes: (Signature | undefined)[] = []; // indexed by function index (imports first)
  const info: WasmModuleInfo = { imports: [], exports: [], memories: [], hasStartSection: false };
  const r = new Reader(bytes);
  r.pos = 8;
  while (r.pos < bytes.byteLength) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.byteLength) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    const s = new Reader(bytes, end);
    s.pos = r.pos;
    if (id === 1) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const form = s.byte();
        if (form !== 0x60) {
          // GC rec groups / subtypes: record as non-plain and stop reading types precisely.
          types.push(undefined);
          s.pos = end;
          break;
        }
        const params = readValtypes(s);
        const results = readValtypes(s);
        types.push(params && results ? `${params.join(",")}->${results.join(",")}` : undefined);
      }
    } else if (id === 2) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const module = s.name();
        const name = s.name();
        const kindByte = s.byte();
        const kind = KINDS[kindByte];
        if (kind === undefined) throw new WasmFormatError(`import ${module}.${name} has unknown kind ${kindByte}`);
        const imp: WasmImport = { module, name, kind };
        if (kind === "function") {
          imp.signature = types[s.u32()];
          funcTypes.push(imp.signature);
        } else if (kind === "table") {
          s.byte();
          s.limits();
        } else if (kind === "memory") {
          info.memories.push({ ...s.limits(), imported: true });
        } else if (kind === "global") {
          s.byte();
          s.byte();
        } else {
          s.byte();
          s.u32();
        }
        info.imports.push(imp);
      }
    } else if (id === 3) {
      const n = s.u32();
      for (let i = 0; i < n; i++) funcTypes.push(types[s.u32()]);
    } else if (id === 5) {
      const n = s.u32();
      for (let i = 0; i < n; i++) info.memories.push({ ...s.limits(), imported: false });
    } else if (id === 7) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const name = s.name();
        const kind = KINDS[s.byte()] ?? "function";
        const index = s.u32();
        info.exports.push({ name, kind, index, signature: kind === "function" ? funcTypes[index] : undefined });
      }
    } else if (id === 8) {
      info.hasStartSection = true;
    }
    r.pos = end;
  }
  return info;
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

/**
 * Returns a copy of `bytes` whose defined memory may grow to at most `maxPages` (64 KiB each):
 * the memory section's maximum becomes `min(declared maximum, maxPages)`. Growth past it makes
 * `memory.grow` return -1 inside the guest, which is how the cap is enforced.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const r = new Reader(bytes);
  r.pos = 8;
  while (r.pos < bytes.byteLength) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const bodyStart = r.pos;
    const end = bodyStart + size;
    if (id !== 5) {
      r.pos = end;
      continue;
    }
    const s = new Reader(bytes, end);
    s.pos = bodyStart;
    const n = s.u32();
    const body: number[] = [...leb(n)];
    for (let i = 0; i < n; i++) {
      const lim = s.limits();
      const max = Math.min(lim.maximum ?? maxPages, maxPages);
      const flags = 1 | (lim.shared ? 2 : 0) | (lim.memory64 ? 4 : 0);
      body.push(flags, ...leb(lim.initial), ...leb(max));
    }
    const section = [5, ...leb(body.length), ...body];
    const out = new Uint8Array(bytes.byteLength - (end - start) + section.length);
    out.set(bytes.subarray(0, start), 0);
    out.set(section, start);
    out.set(bytes.subarray(end), start + section.length);
    return out;
  }
  return bytes;
}
