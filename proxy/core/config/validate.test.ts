import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./load.ts";
import { BASE } from "./testing.ts";
import { summarize, validateConfigFile } from "./validate.ts";

const EXAMPLES = join(import.meta.dirname, "../../../examples/configs");
const readText = (path: string) => readFile(path, "utf8");

describe("validateConfigFile (weir validate -c FILE)", () => {
  it.each([
    ["minimal.yaml", "1 listener, 0 filters, 1 route, 1 cluster"],
    ["sidecar.yaml", "2 listeners, 2 filters, 5 routes, 4 clusters"],
  ])("accepts examples/configs/%s", async (name, summary) => {
    const path = join(EXAMPLES, name);
    const result = await validateConfigFile(path, { readFile: readText });
    expect(result.lines).toEqual([`${path}: valid: ${summary}`]);
    expect(result.exitCode).toBe(0);
  });

  it("prints one line per problem and exits 1", async () => {
    const text = BASE.replace("port: 15006", "port: 70000").replace("    endpoints", "    endpoint");
    const result = await validateConfigFile("weir.yaml", { readFile: async () => text });
    expect(result.exitCode).toBe(1);
    expect(result.config).toBeUndefined();
    expect(result.lines).toEqual([
      "weir.yaml:3:11 listeners[0].port: must be an integer from 0 to 65535, got 70000",
      'weir.yaml:7:5 clusters[0]: needs exactly one of "endpoints", "dns"; none is set',
      'weir.yaml:8:5 clusters[0].endpoint: unknown field "endpoint" (did you mean "endpoints"?)',
    ]);
  });

  it("reports a missing file", async () => {
    const result = await validateConfigFile(join(EXAMPLES, "nope.yaml"), { readFile: readText });
    expect(result.exitCode).toBe(1);
    expect(result.lines[0]).toMatch(/nope\.yaml cannot read the config file: ENOENT/);
  });

  it("counts a route table shared by two listeners once", () => {
    const text = [
      "listeners:",
      "  - { name: a, port: 1000, routeTable: t }",
      "  - { name: b, port: 1001, routeTable: t }",
      "routeTables:",
      "  - { name: t, virtualHosts: [{ domains: ['*'], routes: [{ directResponse: { status: 204 } }] }] }",
    ].join("\n");
    expect(summarize(parseConfig(text))).toBe("2 listeners, 0 filters, 1 route, 0 clusters");
  });
});
