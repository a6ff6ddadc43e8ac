import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggest } from "./suggest.ts";

describe("suggest", () => {
  it("measures edits", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("finds a candidate within two edits, by prefix, or by case", () => {
    expect(suggest("fail-close", ["fail-closed", "fail-open", "reload"])).toBe("fail-closed");
    expect(suggest("filtres", ["name", "filters", "routes"])).toBe("filters");
    expect(suggest("lbpolicy", ["name", "lbPolicy"])).toBe("lbPolicy");
    expect(suggest("circuit", ["circuitBreakers", "pool"])).toBe("circuitBreakers");
  });

  it("prefers the closest candidate and ignores far ones", () => {
    expect(suggest("rout", ["routes", "route"])).toBe("route");
    expect(suggest("xyz", ["name", "port"])).toBeUndefined();
    expect(suggest("ab", ["cd"])).toBeUndefined();
  });

  it("phrases the hint", () => {
    expect(didYouMean("prot", ["port"])).toBe(' (did you mean "port"?)');
    expect(didYouMean("zzz", ["port"])).toBe("");
  });
});
