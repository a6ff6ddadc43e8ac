/**
 * Http calls made on behalf of a stream: the response arrives at the root, the SDK makes the
 * stream effective again and runs its callback, which resumes the request. Also failed and
 * refused calls, and local responses.
 */

import { describe, expect, it } from "vitest";
import {
  createHost,
  HeaderMap,
  HeadersStatus,
  type HttpCallRequest,
  type HttpCallResponse,
  type LocalReply,
} from "../../proxy/abi/index.ts";
import { buildSdkFilter, bytes, text } from "./support.ts";

async function setup(answer: () => Promise<HttpCallResponse>, config?: string) {
  const calls: HttpCallRequest[] = [];
  const logs: string[] = [];
  const misuse: string[] = [];
  const host = createHost({
    logger: (e) => logs.push(`${e.level}: ${e.message}`),
    onAbiMisuse: (_filter, message) => misuse.push(message),
    upstream: {
      hasCluster: (name) => name === "auth",
      call: (request) => {
        calls.push(request);
        return answer();
      },
    },
  });
  const filter = await host.loadFilter({ name: "callout", module: await buildSdkFilter("callout"), config });
  const continued: string[] = [];
  const replies: LocalReply[] = [];
  const stream = filter.createStream({ continueRequest: () => continued.push("request"), sendLocalReply: (r) => replies.push(r) });
  return { filter, stream, calls, continued, replies, logs, misuse };
}

const ok = async (): Promise<HttpCallResponse> => ({
  headers: [
    [":status", "200"],
    ["x-user", "alice"],
  ],
  body: bytes("ok"),
  trailers: [],
});
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("sdk http calls", () => {
  for (const mode of ["callback", "method"]) {
    it(`routes the response to the calling stream (${mode}) and resumes it with continueRequest`, async () => {
      const { stream, calls, continued, misuse } = await setup(ok);
      const request = new HeaderMap({ ":method": "GET", ":path": "/", "x-mode": mode });
      expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
      expect(calls).toHaveLength(1);
      expect(calls[0].cluster).toBe("auth");
      expect(calls[0].headers).toEqual([
        [":method", "GET"],
        [":path", "/check"],
        [":authority", "auth"],
        ["content-length", "4"],
      ]);
      expect(text(calls[0].body)).toBe("who?");
      expect(calls[0].timeoutMs).toBe(1000);
      expect(continued).toEqual([]);
      await tick();
      expect(continued).toEqual(["request"]);
      expect(request.get("x-auth-via")).toBe(mode);
      expect(request.get("x-auth-user")).toBe("alice");
      expect(request.get("x-auth-body")).toBe("ok/2");
      expect(request.get("x-auth-token")).toBe("4");
      stream.complete();
      expect(misuse).toEqual([]);
    });
  }

  it("delivers a call the root made to the root", async () => {
    const { logs, calls } = await setup(ok, "warm-up");
    expect(calls.map((c) => c.headers[1])).toEqual([[":path", "/warm-up"]]);
    await tick();
    expect(logs).toContain("info: root: warm-up answered 200 for alice");
  });

  it("forgets the calls of a stream that ended before the answer, and carries on", async () => {
    let answer: (r: HttpCallResponse) => void = () => {};
    const { filter, stream, continued } = await setup(() => new Promise((resolve) => (answer = resolve)));
    stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-mode": "callback" }), true);
    stream.complete();
    answer(await ok());
    await tick();
    expect(continued).toEqual([]);
    const next = filter.createStream();
    const request = new HeaderMap({ ":path": "/", "x-mode": "unknown" });
    next.onRequestHeaders(request, true);
    expect(request.get("x-token")).toBe("0");
    expect(filter.state).toBe("ready");
  });

  it("reports a failed call with the host's reason", async () => {
    const { stream, continued, replies } = await setup(() => Promise.reject(new Error("connection refused")));
    stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-mode": "callback" }), true);
    await tick();
    expect(continued).toEqual([]);
    expect(replies.map((r) => [r.status, text(r.body), r.details])).toEqual([
      [503, "auth failed: reset: connection refused\n", "auth_failed"],
    ]);
  });

  it("passes the response status and body on", async () => {
    const { stream, replies } = await setup(async () => ({ headers: [[":status", "401"]], body: bytes("nope"), trailers: [] }));
    stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-mode": "method" }), true);
    await tick();
    expect(replies.map((r) => [r.status, text(r.body)])).toEqual([[403, "nope"]]);
  });

  it("returns token 0 for a cluster the proxy does not know, and logs why", async () => {
    const { stream, calls, logs } = await setup(ok);
    const request = new HeaderMap({ ":path": "/", "x-mode": "unknown" });
    expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.CONTINUE);
    expect(request.get("x-token")).toBe("0");
    expect(calls).toEqual([]);
    expect(logs).toContain(
      'warn: proxy_http_call("nope") failed: BAD_ARGUMENT (unknown cluster, or headers without :method, :path and :authority)',
    );
  });
});

describe("sdk local responses", () => {
  it("sends status, body, headers, details and gRPC status, and stops the stream", async () => {
    const { stream, replies } = await setup(ok);
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-mode": "deny" }), true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(replies).toEqual([
      { status: 403, headers: [["x-reason", "test"]], body: bytes("denied\n"), details: "test_denied", grpcStatus: 7 },
    ]);
  });
});
