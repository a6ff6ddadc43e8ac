/**
 * The SDK's failures: a call the host refuses stops the filter with a message naming the
 * call, its arguments and the status (logged at critical), never a bare abort.
 */

import { describe, expect, it } from "vitest";
import { FilterLoadError, HeaderMap } from "../../proxy/abi/index.ts";
import { loadSdkFilter } from "./support.ts";

async function misuse(kind: string, phase: "request" | "response" = "request") {
  const { filter, logs } = await loadSdkFilter("misuse");
  const stream = filter.createStream();
  stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-misuse": kind }), true);
  if (phase === "response") stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), true);
  return { error: filter.lastError, critical: logs.filter((l) => l.startsWith("critical: ")), replies: stream.localReply };
}

describe("sdk error messages", () => {
  it("names the call, the map, the key and the status", async () => {
    const { error, critical, replies } = await misuse("read-response-headers");
    expect(critical).toEqual(['critical: proxy_get_header_map_value(response headers, "x-a") failed: BAD_ARGUMENT']);
    expect(error?.message).toBe("filter misuse: proxy_on_request_headers: trapped: unreachable");
    expect(replies?.status).toBe(503);
  });

  it("quotes the value of a write outside its window", async () => {
    const { critical } = await misuse("late-request-header", "response");
    expect(critical).toEqual(['critical: proxy_replace_header_map_value(request headers, "x-late", "1") failed: BAD_ARGUMENT']);
  });

  it("reports the filter's own errors with their source location", async () => {
    const thrown = await misuse("throw");
    expect(thrown.critical).toEqual([expect.stringMatching(/^critical: the filter gave up on throw \(at assembly\/index\.ts:\d+:\d+\)$/)]);
    const index = await misuse("index");
    expect(index.critical).toEqual([expect.stringMatching(/^critical: Index out of range \(at ~lib\/array\.ts:\d+:\d+\)$/)]);
  });
});

describe("sdk registration", () => {
  it("fails the load of a filter that never called registerFilter, saying so", async () => {
    const error = await loadSdkFilter("unregistered").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilterLoadError);
    expect((error as FilterLoadError).logs).toContain(
      "no filter registered: call registerFilter(...) at the top level of the filter's entry file",
    );
  });
});
