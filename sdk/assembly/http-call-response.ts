// The response to an http call, as its callback sees it. One object is reused for every
// delivery (pending-calls.ts): read what you need inside the callback — the host discards
// the response after it.

import { getBufferBytes, getBufferString } from "./abi/buffer";
import { BufferType, MapType } from "./abi/enums";
import { getHeaderMapValue } from "./abi/header-map";
import { lastCallFailure } from "./abi/http-call";
import { Body } from "./body";
import { HeaderMap } from "./headers";

/**
 * An http call's outcome: `failed` (reset, timeout, no response) or a response with
 * `status`, headers, body and trailers. Valid only during the callback it is passed to.
 */
export class HttpCallResponse {
  /** The token `httpCall` returned. */
  token: u32 = 0;
  /** Number of response headers (0 when the call failed). */
  headerCount: u32 = 0;
  /** Size of the response body in bytes. */
  bodySize: u32 = 0;
  /** Number of response trailers. */
  trailerCount: u32 = 0;
  /** The response headers (`:status` among them). */
  readonly headers: HeaderMap = new HeaderMap(MapType.HttpCallResponseHeaders);
  /** The response trailers. */
  readonly trailers: HeaderMap = new HeaderMap(MapType.HttpCallResponseTrailers);
  /** The response body as a buffer (read-only). */
  readonly bodyBuffer: Body = new Body(BufferType.HttpCallResponseBody);

  /** True when no response arrived (the host reports why through `failureReason`). */
  get failed(): bool {
    return this.headerCount == 0;
  }

  /** The `:status` code, or 0 when the call failed or the status is not a number. */
  get status(): u32 {
    if (this.headerCount == 0) return 0;
    const value = getHeaderMapValue(MapType.HttpCallResponseHeaders, ":status");
    return value === null ? 0 : parseStatus(value);
  }

  /** The first value of response header `name`, or null. */
  header(name: string): string | null {
    return this.headerCount == 0 ? null : getHeaderMapValue(MapType.HttpCallResponseHeaders, name);
  }

  /** The response body (empty when there is none). */
  body(): ArrayBuffer {
    if (this.bodySize == 0) return new ArrayBuffer(0);
    const bytes = getBufferBytes(BufferType.HttpCallResponseBody, 0, this.bodySize);
    return bytes === null ? new ArrayBuffer(0) : bytes;
  }

  /** The response body decoded as UTF-8. */
  bodyText(): string {
    if (this.bodySize == 0) return "";
    const text = getBufferString(BufferType.HttpCallResponseBody, 0, this.bodySize);
    return text === null ? "" : text;
  }

  /** Why the call failed, as the host words it (`timeout`, `reset: …`); empty when it did not. */
  failureReason(): string {
    return this.failed ? lastCallFailure() : "";
  }
}

/** A three-digit status code, or 0. */
function parseStatus(value: string): u32 {
  if (value.length != 3) return 0;
  let code: u32 = 0;
  for (let i = 0; i < 3; i++) {
    const digit = <u32>value.charCodeAt(i) - 0x30;
    if (digit > 9) return 0;
    code = code * 10 + digit;
  }
  return code;
}
