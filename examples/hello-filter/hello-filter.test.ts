import { describe, expect, it } from "vitest";
import { demo } from "../../bin/commands/demo.ts";
import { buildHelloFilter, HELLO_FILTER_CONFIG } from "../../bin/commands/hello-filter.ts";
import { createHost, HeaderMap, HeadersStatus, type LocalReply } from "../../proxy/abi/index.ts";

describe("examples/hello-filter", () => {
  it("adds the configured header, strips x-internal-token and marks the response", async () => {
    const { bytes } = await buildHelloFilter();
    const filter = await createHost({ logger: () => {} }).loadFilter({ name: "hello", module: bytes, config: HELLO_FILTER_CONFIG });
    const stream = filter.createStream();
    const request = new HeaderMap({ ":method": "GET", ":path": "/hello", "x-internal-token": "s3cr3t" });
    expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.CONTINUE);
    expect(request.get("x-hello")).toBe("weir");
    expect(request.has("x-internal-token")).toBe(false);
    const response = new HeaderMap({ ":status": "200" });
    stream.onResponseHeaders(response, true);
    expect(response.get("x-filtered-by")).toBe("weir");
    stream.complete();
  }, 120_000);

  it("answers 403 itself under /admin", async () => {
    const { bytes } = await buildHelloFilter();
    const filter = await createHost({ logger: () => {} }).loadFilter({ name: "hello", module: bytes, config: HELLO_FILTER_CONFIG });
    const replies: LocalReply[] = [];
    const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r) });
    expect(stream.onRequestHeaders(new HeaderMap({ ":method": "DELETE", ":path": "/admin/users/1" }), true)).toBe(
      HeadersStatus.STOP_ALL_WATERMARK,
    );
    expect(replies.map((r) => [r.status, r.details, new TextDecoder().decode(r.body)])).toEqual([[403, "admin_blocked", "forbidden\n"]]);
    stream.complete();
  }, 120_000);

  it("is what `npm start` (weir demo) shows, and the demo exits 0", async () => {
    const lines: string[] = [];
    expect(await demo((l) => lines.push(l))).toBe(0);
    const text = lines.join("\n");
    expect(text).toContain("    + x-hello: weir");
    expect(text).toContain("    - x-internal-token: s3cr3t");
    expect(text).toContain("    + x-filtered-by: weir");
    expect(text).toContain('answered by the filter: 403 "forbidden" (details: admin_blocked)');
  }, 120_000);
});
