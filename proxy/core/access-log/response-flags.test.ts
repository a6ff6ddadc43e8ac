import { describe, expect, it } from "vitest";
import { HeaderMap } from "../../abi/header-map.ts";
import {
  addResponseFlag,
  filterLocalReplyFlags,
  formatResponseFlags,
  parseResponseFlags,
  RESPONSE_FLAGS,
  RESPONSE_FLAGS_HEADER,
  ResponseFlag,
  responseFlagInfo,
  setResponseFlagsHeader,
} from "./response-flags.ts";

describe("response flags", () => {
  it("cover Envoy's core flags in Envoy's order, then weir's", () => {
    // Envoy's StreamInfo::ResponseFlagUtils::CORE_RESPONSE_FLAGS order (source/common/stream_info/utility.h).
    const envoy = "LH UH UT LR UR UF UC UO NR DI FI RL UAEX RLSE DC URX SI IH DPE UMSDR RFCF NFCF DT UPE NC OM DF DO DR".split(" ");
    expect(RESPONSE_FLAGS.map((f) => f.flag)).toEqual([...envoy, "WF", "WFO", "WLR"]);
    expect(Object.keys(ResponseFlag).sort()).toEqual(RESPONSE_FLAGS.map((f) => f.flag).sort());
  });

  it("say which status weir answers with", () => {
    expect(responseFlagInfo("UH").status).toBe(503);
    expect(responseFlagInfo("NR").status).toBe(404);
    expect(responseFlagInfo("UT").status).toBe(504);
    expect(responseFlagInfo("RL").status).toBe(429);
    expect(responseFlagInfo("WF").status).toBe(503);
    expect(responseFlagInfo("WLR").status).toBeUndefined();
  });

  it("format as - when none, in Envoy's order when several, without duplicates", () => {
    const flags: ResponseFlag[] = [];
    expect(formatResponseFlags(flags)).toBe("-");
    addResponseFlag(flags, ResponseFlag.URX);
    addResponseFlag(flags, ResponseFlag.UF);
    addResponseFlag(flags, ResponseFlag.UF);
    expect(formatResponseFlags(flags)).toBe("UF,URX");
    expect(flags).toEqual(["URX", "UF"]); // order of addition kept; rendering sorts
  });

  it("parse back, skipping codes this version does not know", () => {
    expect(parseResponseFlags("UF, URX,ZZ")).toEqual(["UF", "URX"]);
    expect(parseResponseFlags("-")).toEqual([]);
    expect(parseResponseFlags(null)).toEqual([]);
  });

  it("go into x-weir-response-flags on Headers and HeaderMap, only when there are any", () => {
    const headers = new Headers({ [RESPONSE_FLAGS_HEADER]: "UC" });
    setResponseFlagsHeader(headers, []);
    expect(headers.get("x-weir-response-flags")).toBe("UC"); // an upstream hop's reason passes through
    setResponseFlagsHeader(headers, [ResponseFlag.URX, ResponseFlag.UF]);
    expect(headers.get("x-weir-response-flags")).toBe("UF,URX");

    const map = new HeaderMap({ ":status": "503" });
    setResponseFlagsHeader(map, [ResponseFlag.UO]);
    expect(map.get("x-weir-response-flags")).toBe("UO");
  });

  it("tell a filter's own local reply from the host's fail-closed answer, adding Envoy's flag for Envoy's details", () => {
    expect(filterLocalReplyFlags("wasm_fail_stream")).toEqual(["WF"]);
    expect(filterLocalReplyFlags("jwt_missing")).toEqual(["WLR"]);
    expect(filterLocalReplyFlags("")).toEqual(["WLR"]);
    expect(filterLocalReplyFlags("local_rate_limited")).toEqual(["RL", "WLR"]);
    expect(filterLocalReplyFlags("ext_authz_denied")).toEqual(["UAEX", "WLR"]);
  });

  it("keep WFO out of the header, so clients cannot see a filter being skipped", () => {
    const headers = new Headers();
    setResponseFlagsHeader(headers, [ResponseFlag.WFO]);
    expect(headers.has(RESPONSE_FLAGS_HEADER)).toBe(false);
    setResponseFlagsHeader(headers, [ResponseFlag.WFO, ResponseFlag.URX]);
    expect(headers.get(RESPONSE_FLAGS_HEADER)).toBe("URX");
  });
});
