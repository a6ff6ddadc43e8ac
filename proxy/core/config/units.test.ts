import { describe, expect, it } from "vitest";
import { MAX_DURATION_MS, parseDuration, parseHostPort, parseSize } from "./units.ts";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["10s", 10_000],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    ["0", undefined],
    ["0s", 0],
    [0, 0],
    [250, 250],
  ] as const)("%j is %j ms", (input, ms) => {
    if (ms === undefined) expect(() => parseDuration(input)).toThrow(RangeError);
    else expect(parseDuration(input)).toBe(ms);
  });

  it("suggests a unit for a bare number in a string", () => {
    expect(() => parseDuration("10")).toThrow('must be a duration like "250ms", "10s" or "1m", got "10" (did you mean "10ms"?)');
  });

  it.each(["", "ten seconds", "10 s", "-5s", "5s-", "s", "1d"])("rejects %j", (input) => {
    expect(() => parseDuration(input)).toThrow(RangeError);
  });

  it("names the unknown unit", () => {
    expect(() => parseDuration("5sec")).toThrow('unknown unit "sec"; use ms, s, m or h');
    expect(() => parseDuration("5Ms")).toThrow('unknown unit "Ms" (did you mean "ms"?)');
  });

  it("rejects negative, fractional and oversized numbers", () => {
    expect(() => parseDuration(-1)).toThrow("got -1");
    expect(() => parseDuration(2.5)).toThrow("got 2.5");
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration("25d")).toThrow(RangeError);
    expect(() => parseDuration("600h")).toThrow("the longest timer");
  });
});

describe("parseSize", () => {
  it.each([
    ["60KiB", 61_440],
    ["64MiB", 67_108_864],
    ["1GiB", 1_073_741_824],
    ["1KB", 1_000],
    ["2 MB", 2_000_000],
    ["512B", 512],
    ["1.5KiB", 1_536],
    [4096, 4096],
    [0, 0],
  ] as const)("%j is %j bytes", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it("suggests the right case for a unit", () => {
    expect(() => parseSize("64mib")).toThrow('unknown unit "mib" (did you mean "64MiB"?)');
    expect(() => parseSize("64Mi")).toThrow('(did you mean "64MiB"?)');
  });

  it.each(["", "big", "-1KiB", "KiB", "1.5.2MiB", "0.1B", "4096"])("rejects %j", (input) => {
    expect(() => parseSize(input)).toThrow(RangeError);
  });

  it("rejects negative and fractional byte counts", () => {
    expect(() => parseSize(-1)).toThrow("got -1");
    expect(() => parseSize(1.5)).toThrow("got 1.5");
  });
});

describe("parseHostPort", () => {
  it("splits names, IPv4 and bracketed IPv6", () => {
    expect(parseHostPort("backend.default.svc:8080")).toEqual({ host: "backend.default.svc", port: 8080 });
    expect(parseHostPort("10.0.0.1:80")).toEqual({ host: "10.0.0.1", port: 80 });
    expect(parseHostPort("[::1]:9901")).toEqual({ host: "::1", port: 9901 });
  });

  it.each(["backend", "backend:", ":8080", "a b:80", "::1:80", "host:0", "host:65536", "host:http"])("rejects %j", (input) => {
    expect(() => parseHostPort(input)).toThrow(RangeError);
  });
});
