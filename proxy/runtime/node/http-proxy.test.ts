import { describe, expect, it } from "vitest";
import { HeaderMap } from "../../abi/header-map.ts";
import type { DownstreamRequest } from "../../core/http/types.ts";
import { normalizeTarget, parseAbsoluteForm, parseAuthorityForm, TargetError } from "./http-proxy.ts";

function request(method: string, path: string, authority = "from-host-header"): DownstreamRequest {
  return {
    method,
    path,
    authority,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: new HeaderMap(),
    body: null,
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    localAddress: "127.0.0.1",
    localPort: 2,
    signal: new AbortController().signal,
  };
}

describe("request targets of a forward proxy", () => {
  it("splits absolute-form into authority and path, keeping the path as sent", () => {
    expect(parseAbsoluteForm("http://orders.svc:8080/x/../y?a=%2F&b")).toEqual({
      scheme: "http",
      authority: "orders.svc:8080",
      path: "/x/../y?a=%2F&b",
    });
    expect(parseAbsoluteForm("HTTP://orders.svc")?.path).toBe("/");
    expect(parseAbsoluteForm("http://orders.svc?q=1")?.path).toBe("/?q=1");
    expect(parseAbsoluteForm("http://user:pw@orders.svc/x#frag")).toEqual({ scheme: "http", authority: "orders.svc", path: "/x" });
    expect(parseAbsoluteForm("http://[::1]:9000/v6")?.authority).toBe("[::1]:9000");
  });

  it("leaves origin-form and asterisk-form alone, refuses other schemes and empty authorities", () => {
    expect(parseAbsoluteForm("/just/a/path")).toBeUndefined();
    expect(parseAbsoluteForm("*")).toBeUndefined();
    expect(() => parseAbsoluteForm("ftp://files.svc/x")).toThrow(TargetError);
    expect(() => parseAbsoluteForm("http:///x")).toThrow(/empty authority/);
  });

  it("accepts host:port for CONNECT and nothing else", () => {
    expect(parseAuthorityForm("orders.svc:443")).toBe("orders.svc:443");
    expect(parseAuthorityForm("[2001:db8::1]:443")).toBe("[2001:db8::1]:443");
    for (const bad of ["orders.svc", "orders.svc:99999", "http://orders.svc:443", "/x", "a b:1"]) {
      expect(() => parseAuthorityForm(bad), bad).toThrow(TargetError);
    }
  });

  it("routes by the target: the authority replaces Host; CONNECT gets the path /", () => {
    const absolute = normalizeTarget(request("GET", "http://orders.svc:8080/x?y=1"));
    expect([absolute.authority, absolute.path]).toEqual(["orders.svc:8080", "/x?y=1"]);
    const origin = normalizeTarget(request("GET", "/x"));
    expect([origin.authority, origin.path]).toEqual(["from-host-header", "/x"]);
    const connect = normalizeTarget(request("CONNECT", "orders.svc:443"));
    expect([connect.authority, connect.path]).toEqual(["orders.svc:443", "/"]);
  });
});
