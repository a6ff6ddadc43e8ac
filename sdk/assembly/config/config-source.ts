// Where a `Config` and the nested configs taken from it get their bytes, parsed tree and
// recorded problems: one shared object, filled lazily — the configuration is read from the
// host only when something asks for it, and parsed only when a typed getter needs JSON.

import { getBufferBytes } from "../abi/buffer";
import { BufferType, bufferName } from "../abi/enums";
import { JsonValue } from "./json-value";

/** Shared by a config and the nested configs taken from it. */
export class ConfigSource {
  bytes: ArrayBuffer | null = null;
  parsed: bool = false;
  root: JsonValue | null = null;
  /** The text is not a JSON object: field problems would only repeat that. */
  broken: bool = false;
  errors: string[] = [];
  constructor(public buffer: BufferType, public size: u32) {}

  load(): ArrayBuffer {
    let bytes = this.bytes;
    if (bytes === null) {
      bytes = this.size == 0 ? new ArrayBuffer(0) : getBufferBytes(this.buffer, 0, this.size);
      if (bytes === null) throw new Error("the " + bufferName(this.buffer) + " is not readable here: read it during the callback that received it");
      this.bytes = bytes;
    }
    return bytes;
  }

  /** Source text of `value`, shortened, for "got …". */
  excerpt(value: JsonValue): string {
    const bytes = this.load();
    const text = String.UTF8.decodeUnsafe(changetype<usize>(bytes) + <usize>value.start, <usize>(value.end - value.start));
    return text.length > 40 ? text.substring(0, 40) + "…" : text;
  }
}
