/**
 * Property paths as filters send them: `\0`-joined (Rust/Go/C++ SDKs, with or without a
 * trailing NUL) or one dotted string (AssemblyScript SDKs), split the same way every time.
 */

import { describe, expect, it } from "vitest";
import { parsePropertyPath } from "./properties.ts";

describe("parsePropertyPath", () => {
  it("splits NUL-joined and dotted paths alike", () => {
    expect(parsePropertyPath("source\0address")).toEqual(["source", "address"]);
    expect(parsePropertyPath("source\0address\0")).toEqual(["source", "address"]);
    expect(parsePropertyPath("source.address")).toEqual(["source", "address"]);
    expect(parsePropertyPath("plugin_name")).toEqual(["plugin_name"]);
    // A header name after request.headers keeps its dots.
    expect(parsePropertyPath("request.headers.x-trace.id")).toEqual(["request", "headers", "x-trace.id"]);
    expect(parsePropertyPath("weir.upstream_cluster")).toEqual(["weir", "upstream_cluster"]);
  });

  it("hands back one frozen array per path, so no caller can change another's", () => {
    const first = parsePropertyPath("xds\0route_name");
    expect(parsePropertyPath("xds\0route_name")).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as string[]).push("x")).toThrow(TypeError);
    expect(parsePropertyPath("xds\0route_name")).toEqual(["xds", "route_name"]);
  });

  it("stays correct past its cache's size", () => {
    for (let i = 0; i < 2000; i++) expect(parsePropertyPath(`filter_state\0key-${i}`)).toEqual(["filter_state", `key-${i}`]);
    expect(parsePropertyPath("source\0port")).toEqual(["source", "port"]);
  });
});
