// Typed access to a body buffer of the current stream (or of an http call's response).

import { getBufferBytes, getBufferSize, getBufferString, setBufferBytes } from "./abi/buffer";
import { BufferType } from "./abi/enums";
import { VALUE } from "./abi/memory";

/**
 * A body of the stream whose callback is running. Get one from `HttpContext`
 * (`this.requestBody`, `this.responseBody`).
 *
 * When it may be used: in `onRequestBody` / `onResponseBody`. The buffer holds the chunk
 * that arrived — or, while the callback returns `Action.Pause`, everything buffered so far,
 * so a filter that needs the whole body pauses until `endOfStream` and then reads it.
 * Changes apply to what the filter lets through.
 *
 * @example
 * ```ts
 * onResponseBody(size: u32, endOfStream: bool): Action {
 *   if (!endOfStream) return Action.Pause;
 *   this.responseBody.appendText("\n<!-- served by weir -->");
 *   return Action.Continue;
 * }
 * ```
 */
export class Body {
  constructor(readonly type: BufferType) {}

  /** Bytes in the buffer now (0 when there is none). */
  size(): u32 {
    const size = getBufferSize(this.type);
    return size < 0 ? 0 : <u32>size;
  }

  /** Up to `length` bytes from `start`, or null when the buffer does not exist now. */
  read(start: u32 = 0, length: u32 = u32.MAX_VALUE): ArrayBuffer | null {
    return getBufferBytes(this.type, start, length);
  }

  /** Like `read`, decoded as UTF-8. */
  readText(start: u32 = 0, length: u32 = u32.MAX_VALUE): string | null {
    return getBufferString(this.type, start, length);
  }

  /** Replaces the whole buffer with `data`. */
  replace(data: ArrayBuffer): void {
    setBufferBytes(this.type, 0, u32.MAX_VALUE, changetype<usize>(data), <usize>data.byteLength);
  }

  /** Replaces the whole buffer with the UTF-8 bytes of `text`. */
  replaceText(text: string): void {
    const ptr = VALUE.encode(text);
    setBufferBytes(this.type, 0, u32.MAX_VALUE, ptr, VALUE.length);
  }

  /** Adds `data` after the buffer's bytes. */
  append(data: ArrayBuffer): void {
    setBufferBytes(this.type, u32.MAX_VALUE, 0, changetype<usize>(data), <usize>data.byteLength);
  }

  /** Adds the UTF-8 bytes of `text` after the buffer's bytes. */
  appendText(text: string): void {
    const ptr = VALUE.encode(text);
    setBufferBytes(this.type, u32.MAX_VALUE, 0, ptr, VALUE.length);
  }

  /** Adds `data` before the buffer's bytes. */
  prepend(data: ArrayBuffer): void {
    setBufferBytes(this.type, 0, 0, changetype<usize>(data), <usize>data.byteLength);
  }

  /** Adds the UTF-8 bytes of `text` before the buffer's bytes. */
  prependText(text: string): void {
    const ptr = VALUE.encode(text);
    setBufferBytes(this.type, 0, 0, ptr, VALUE.length);
  }
}

export const REQUEST_BODY = new Body(BufferType.RequestBody);
export const RESPONSE_BODY = new Body(BufferType.ResponseBody);
