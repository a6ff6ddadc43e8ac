/** Body buffers through the real host: replace, append, prepend, partial reads, and buffering to the end. */

import { describe, expect, it } from "vitest";
import { DataStatus, HeaderMap } from "../../proxy/abi/index.ts";
import { bytes, loadSdkFilter, text } from "./support.ts";

async function requestBody(op: string, body: string): Promise<string> {
  const { filter } = await loadSdkFilter("body");
  const stream = filter.createStream();
  stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-body-op": op }), false);
  expect(stream.onRequestBody(bytes(body), true)).toBe(DataStatus.CONTINUE);
  const out = text(stream.takeRequestBody());
  stream.complete();
  return out;
}

describe("sdk body", () => {
  it("replaces the body", async () => {
    expect(await requestBody("replace", "original")).toBe("replaced");
  });

  it("appends to the body", async () => {
    expect(await requestBody("append", "original")).toBe("original+appended");
  });

  it("prepends to the body", async () => {
    expect(await requestBody("prepend", "original")).toBe("prepended+original");
  });

  it("reads a slice of the body as bytes", async () => {
    expect(await requestBody("bytes", "abcdef")).toBe("bcd");
  });

  it("sees the callback's size and the buffer's size agree", async () => {
    expect(await requestBody("size", "12345")).toBe("5=5");
  });

  it("buffers the response body with Action.Pause and rewrites it at the end", async () => {
    const { filter } = await loadSdkFilter("body");
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), false);
    expect(stream.onResponseBody(bytes("hello "), false)).toBe(DataStatus.STOP_BUFFER);
    expect(stream.onResponseBody(bytes("world"), true)).toBe(DataStatus.CONTINUE);
    expect(text(stream.takeResponseBody())).toBe("[hello world]");
    stream.complete();
  });
});
