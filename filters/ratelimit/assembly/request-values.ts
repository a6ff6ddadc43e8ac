// The request values descriptor keys are made of, each fetched from the host at most once
// per request however many descriptors use it. An absent or empty value means "not present":
// a descriptor that needs it does not apply to the request.

import { HttpContext, peerIdentity, sourceAddress } from "../../../sdk/assembly";
import { Descriptor, Source } from "./descriptor";
import { addComponent, addComponentBytes, beginKey, endKey, Key } from "./key";

/** One request's values; `reset` it for the next request (one instance serves them all). */
export class RequestValues {
  private stream: HttpContext | null = null;
  private fetched: u32 = 0;
  private remote: string | null = null;
  private path: string | null = null;
  private identity: string | null = null;
  // The headers read for this request: the first `headerCount` names and their values. The
  // buffers outlive the request, so the next one reads into them without allocating.
  private headerCount: i32 = 0;
  private headerNames: string[] = [];
  private headerValues: Array<ArrayBuffer | null> = [];
  private headerBuffers: ArrayBuffer[] = [];

  /** Forgets the previous request's values; the next reads come from `stream`. */
  reset(stream: HttpContext): void {
    this.stream = stream;
    this.fetched = 0;
    this.remote = null;
    this.path = null;
    this.identity = null;
    this.headerCount = 0;
  }

  /** `d`'s key for this request, or null when one of its components is absent. */
  key(d: Descriptor): Key | null {
    const components = d.components;
    // Fetch everything first: the key is built in one shared scratch buffer.
    for (let i = 0; i < components.length; i++) {
      const c = unchecked(components[i]);
      if (c.source == Source.Header ? this.header(c.header) === null : this.value(c.source) === null) return null;
    }
    beginKey(d.keyPrefix);
    for (let i = 0; i < components.length; i++) {
      const c = unchecked(components[i]);
      if (c.source == Source.Header) {
        const bytes = this.header(c.header) as ArrayBuffer;
        addComponentBytes(changetype<usize>(bytes), <usize>bytes.byteLength);
      } else addComponent(this.value(c.source) as string);
    }
    return endKey(d.key);
  }

  private value(source: Source): string | null {
    const bit: u32 = 1 << <u32>source;
    if ((this.fetched & bit) == 0) {
      this.fetched |= bit;
      if (source == Source.RemoteAddress) this.remote = presentOrNull(stripPort(sourceAddress()));
      else if (source == Source.Path) this.path = presentOrNull(withoutQuery((this.stream as HttpContext).requestHeaders.get(":path")));
      else this.identity = presentOrNull(peerIdentity());
    }
    return source == Source.RemoteAddress ? this.remote : source == Source.Path ? this.path : this.identity;
  }

  /** A header's value as bytes (never decoded: the key percent-encodes its UTF-8 as it is). */
  private header(name: string): ArrayBuffer | null {
    const names = this.headerNames;
    const count = this.headerCount;
    for (let i = 0; i < count; i++) if (unchecked(names[i]) == name) return unchecked(this.headerValues[i]);
    if (count == names.length) {
      names.push(name);
      this.headerValues.push(null);
      this.headerBuffers.push(new ArrayBuffer(0));
    } else unchecked((names[count] = name));
    const bytes = (this.stream as HttpContext).requestHeaders.getBytesInto(name, unchecked(this.headerBuffers[count]));
    let value: ArrayBuffer | null = null;
    if (bytes !== null) {
      unchecked((this.headerBuffers[count] = bytes));
      if (bytes.byteLength > 0) value = bytes;
    }
    unchecked((this.headerValues[count] = value));
    this.headerCount = count + 1;
    return value;
  }
}

function presentOrNull(value: string | null): string | null {
  return value === null || value.length == 0 ? null : value;
}

/** `10.0.0.1:5000` → `10.0.0.1`, `[2001:db8::1]:443` → `2001:db8::1`; other forms as they are. */
export function stripPort(address: string | null): string | null {
  if (address === null) return null;
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.indexOf(":");
  if (colon < 0 || address.indexOf(":", colon + 1) >= 0) return address; // no port, or bare IPv6
  return address.substring(0, colon);
}

function withoutQuery(path: string | null): string | null {
  if (path === null) return null;
  const query = path.indexOf("?");
  return query < 0 ? path : path.substring(0, query);
}
