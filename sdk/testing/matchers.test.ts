/**
 * Pins weir's vitest matchers: what each accepts, `.not`, and failure messages that show what
 * the filter did instead (the status, the local response, the headers present, the lines
 * logged). Results and contexts here come from a real host running a WAT filter.
 */

import { describe, expect, it } from "vitest";
import { HeaderMap } from "../../proxy/abi/index.ts";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createTestHost, installMatchers, weirMatchers } from "./index.ts";
import "./matchers.ts";

/** Pauses `/hold`, answers `/deny` with 403 "go away", continues anything else; logs "seen". */
const FILTER = buildGuestModule({
  data: [
    `(data (i32.const 1024) ":path")`,
    `(data (i32.const 1040) "seen")`,
    `(data (i32.const 1048) "go away")`,
    `(data (i32.const 1060) "denied")`,
  ],
  callbacks: {
    proxy_on_request_headers: `
      (drop (call $proxy_log (i32.const 2) (i32.const 1040) (i32.const 4)))
      (drop (call $proxy_get_header_map_value (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 300) (i32.const 304)))
      (if (i32.eq (i32.load8_u (i32.add (i32.load (i32.const 300)) (i32.const 1))) (i32.const 100)) ;; "/d…"
        (then (drop (call $proxy_send_local_response (i32.const 403) (i32.const 1060) (i32.const 6) (i32.const 1048) (i32.const 7) (i32.const 0) (i32.const 0) (i32.const -1)))))
      (i32.eq (i32.load8_u (i32.add (i32.load (i32.const 300)) (i32.const 1))) (i32.const 104))) ;; "/h…" → 1`,
  },
});

async function stream(path: string) {
  const host = await createTestHost({ wasm: FILTER, name: "m", limits: { fuel: false } });
  const http = host.http();
  return { host, http, result: http.requestHeaders({ ":path": path }, { endOfStream: true }) };
}

describe("toContinue / toPause / toStop", () => {
  it("reads the action of a callback result or of a stream, with .not", async () => {
    const go = await stream("/");
    const hold = await stream("/hold");
    const deny = await stream("/deny");
    expect(go.result).toContinue();
    expect(hold.result).toPause();
    expect(hold.http).toPause();
    expect(deny.result).toStop();
    expect(deny.http).not.toContinue();
  });

  it("says what happened instead", async () => {
    const { result, http } = await stream("/deny");
    expect(() => expect(result).toContinue()).toThrow("expected to continue, but: requestHeaders → stop (StopAllIterationAndWatermark)");
    expect(() => expect(http).toPause()).toThrow("expected to pause, but: the stream stopped with local response 403 (denied)");
    expect(() => expect(result).not.toStop()).toThrow("expected not to stop, but: requestHeaders → stop");
    expect(() => expect({}).toContinue()).toThrow("toContinue() needs a callback result or an HTTP context, got {}");
  });
});

describe("toRespondWith", () => {
  it("checks the status and, when given, body, details and headers", async () => {
    const { http } = await stream("/deny");
    expect(http).toRespondWith(403);
    expect(http).toRespondWith(403, { body: "go away", details: "denied" });
    expect(http).toRespondWith(403, { body: /away/ });
    expect(http).not.toRespondWith(401);
    expect(() => expect(http).toRespondWith(401, { body: "nope" })).toThrow(
      'expected local response 401 with body "nope", but status 403, body "go away": it is 403 "go away" (details "denied", headers [])',
    );
    expect(() => expect(http).toRespondWith(403, { headers: { "x-a": "1" } })).toThrow('header "x-a" is []');
  });

  it("says when there is no local response", async () => {
    const { http } = await stream("/hold");
    expect(() => expect(http).toRespondWith(403)).toThrow("but no local response was sent (the stream's action is pause)");
    expect(() => expect("x").toRespondWith(403)).toThrow('toRespondWith() needs an HTTP context (host.http()), got "x"');
  });
});

describe("toHaveHeader", () => {
  it("accepts a HeaderMap, pairs or an object; names are case-insensitive, values exact or RegExp", () => {
    const map = new HeaderMap([
      ["X-A", "1"],
      ["x-a", "2"],
    ]);
    expect(map).toHaveHeader("x-a");
    expect(map).toHaveHeader("X-A", "2");
    expect(map).toHaveHeader("x-a", /^\d$/);
    expect([["cookie", "a=b"]]).toHaveHeader("cookie", "a=b");
    expect({ host: "example.com" }).toHaveHeader("host");
    expect(map).not.toHaveHeader("x-b");
    expect(map).not.toHaveHeader("x-a", "3");
  });

  it("lists the headers present, or says there are none", () => {
    expect(() => expect({ "x-a": "1" }).toHaveHeader("x-b", "2")).toThrow('expected header "x-b: 2", but the headers are:\n  x-a: 1');
    expect(() => expect(undefined).toHaveHeader("x-a")).toThrow("but there are no headers (undefined): were they sent?");
  });
});

describe("toHaveLogged", () => {
  it("matches a line at a level by substring or RegExp, on the host or its logs", async () => {
    const { host } = await stream("/");
    expect(host).toHaveLogged("info", "see");
    expect(host.logs).toHaveLogged("info", /^seen$/);
    expect(host).not.toHaveLogged("error", "seen");
    expect(() => expect(host).toHaveLogged("info", /^see$/)).toThrow(
      "expected a info line matching /^see$/, but the info lines are:\n  seen",
    );
    expect(() => expect(host).toHaveLogged("warn", "x")).toThrow("but nothing was logged at warn");
  });
});

describe("installMatchers", () => {
  it("extends the expect it is given with every matcher", () => {
    const extended: object[] = [];
    installMatchers({ extend: (matchers) => extended.push(matchers) });
    expect(extended).toEqual([weirMatchers]);
    expect(Object.keys(weirMatchers).sort()).toEqual(["toContinue", "toHaveHeader", "toHaveLogged", "toPause", "toRespondWith", "toStop"]);
  });
});
