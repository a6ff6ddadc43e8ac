/**
 * Header maps through the real host: lazy reads (missing → null), set/add/remove, whole-map
 * reads and writes, and the error message when a map is used outside its window.
 */

import { describe, expect, it } from "vitest";
import { DataStatus, HeaderMap, HeadersStatus, TrailersStatus } from "../../proxy/abi/index.ts";
import { bytes, loadSdkFilter } from "./support.ts";

describe("sdk headers", () => {
  it("reads one value at a time, missing → null, and edits the request headers", async () => {
    const { filter, misuse } = await loadSdkFilter("headers");
    const stream = filter.createStream();
    const request = new HeaderMap([
      [":method", "GET"],
      [":path", "/"],
      ["x-present", "yes"],
      ["x-remove-me", "1"],
      ["x-replaced", "a"],
      ["x-replaced", "b"],
    ]);
    expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.CONTINUE);
    expect(request.get("x-seen")).toBe("yes");
    // setInteger writes decimal digits with no string in between, replacing every value.
    expect(["x-zero", "x-int", "x-negative", "x-max", "x-min"].map((n) => request.get(n))).toEqual([
      "0",
      "1234567890",
      "-42",
      "9223372036854775807",
      "-9223372036854775808",
    ]);
    expect(request.getAll("x-replaced")).toEqual(["7"]);
    expect(request.get("x-bytes-into")).toBe("reused:yes,new:yes,null");
    expect(request.get("x-missing-was")).toBe("null");
    expect(request.get("x-count")).toBe("6/8"); // 6 received, 8 after the two adds
    expect(request.has("x-remove-me")).toBe(false);
    expect(request.get("x-has")).toBe("yes");
    stream.complete();
    expect(misuse).toEqual([]);
  });

  it("reads every value of a name and replaces the whole map", async () => {
    const { filter } = await loadSdkFilter("headers");
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    const response = new HeaderMap([
      [":status", "200"],
      ["x-multi", "a"],
      ["X-Multi", "b"],
    ]);
    expect(stream.onResponseHeaders(response, true)).toBe(HeadersStatus.CONTINUE);
    expect(response.entries()).toEqual([
      [":status", "201"],
      ["x-all", "a,b"],
    ]);
    stream.complete();
  });

  it("reads and edits request trailers, and adds response trailers from the last body chunk", async () => {
    const { filter, misuse } = await loadSdkFilter("headers");
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    stream.onRequestBody(bytes("x"), false);
    const trailers = new HeaderMap({ "x-checksum": "abc", "x-drop": "1" });
    expect(stream.onRequestTrailers(trailers)).toBe(TrailersStatus.CONTINUE);
    expect(trailers.entries()).toEqual([
      ["x-checksum", "abc"],
      ["x-checked", "abc/2"],
    ]);
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), false);
    expect(stream.onResponseBody(bytes("y"), true)).toBe(DataStatus.CONTINUE);
    expect(stream.responseTrailers?.entries()).toEqual([["x-trailer", "added"]]);
    stream.complete();
    expect(misuse).toEqual([]);
  });

  it("logs at every level, and reads the host's level", async () => {
    for (const [level, expected] of [
      [
        "trace",
        [
          "trace: trace line",
          "debug: debug line",
          "info: info line, level 0",
          "warn: warn line",
          "error: error line",
          "critical: critical line, path /",
        ],
      ],
      ["warn", ["warn: warn line", "error: error line", "critical: critical line, path /"]],
    ] as const) {
      const { filter, logs } = await loadSdkFilter("headers", { host: { logLevel: level } });
      const stream = filter.createStream();
      stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
      stream.complete();
      expect(logs).toEqual(expected);
    }
  });
});
