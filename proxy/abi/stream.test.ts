import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, DataStatus, HeaderMap, HeadersStatus, type LocalReply } from "./index.ts";

// Data at 1024: "x-added" (7) at 1024, "yes" (3) at 1040, ":path" (5) at 1056, "denied" at 1072.
const DATA = [
  `(data (i32.const 1024) "x-added")`,
  `(data (i32.const 1040) "yes")`,
  `(data (i32.const 1056) ":path")`,
  `(data (i32.const 1072) "denied")`,
];

const addHeader = buildGuestModule({
  data: DATA,
  callbacks: {
    proxy_on_request_headers: `
      (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 1024) (i32.const 7) (i32.const 1040) (i32.const 3)))
      (i32.const 0)`,
  },
});

describe("HttpStream", () => {
  it("lets a filter add a request header and continue", async () => {
    const host = createHost({ logger: () => {} });
    const filter = await host.loadFilter({ name: "add", module: addHeader });
    const stream = filter.createStream();
    const headers = new HeaderMap({ ":method": "GET", ":path": "/a" });
    expect(stream.onRequestHeaders(headers, true)).toBe(HeadersStatus.CONTINUE);
    expect(headers.get("x-added")).toBe("yes");
    stream.complete();
    expect(filter.vm.contexts.size).toBe(1); // only the root remains
  });

  it("runs metered and unmetered alike", async () => {
    const host = createHost({ logger: () => {} });
    const filter = await host.loadFilter({ name: "add", module: addHeader, limits: { fuel: false } });
    const headers = new HeaderMap({ ":path": "/" });
    filter.createStream().onRequestHeaders(headers, true);
    expect(headers.get("x-added")).toBe("yes");
  });

  it("sends a local reply that stops the chain", async () => {
    const wasm = buildGuestModule({
      data: DATA,
      callbacks: {
        proxy_on_request_headers: `
          (drop (call $proxy_send_local_response (i32.const 403) (i32.const 1072) (i32.const 6) (i32.const 1072) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1)))
          (i32.const 0)`,
      },
    });
    const host = createHost({ logger: () => {} });
    const filter = await host.loadFilter({ name: "deny", module: wasm });
    const replies: LocalReply[] = [];
    const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r) });
    // The filter returned Continue, but a local reply forces a stop (cpp-host stopNextIteration).
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ status: 403, details: "denied", grpcStatus: undefined });
    expect(new TextDecoder().decode(replies[0].body)).toBe("denied");
    expect(stream.onRequestBody(new Uint8Array([1]), true)).toBe(DataStatus.STOP_NO_BUFFER);
  });
});
