import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.ts";
import { inspect } from "./commands/inspect.ts";

afterEach(() => vi.restoreAllMocks());

describe("weir CLI", () => {
  it("--help lists the commands that exist", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["--help"])).toBe(0);
    const text = log.mock.calls.flat().join("\n");
    expect(text).toMatch(/^ {2}demo {5}/m);
    expect(text).toMatch(/^ {2}inspect {2}/m);
  });

  it("an unknown command exits 2 with a did-you-mean", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["insp"])).toBe(2);
    expect(error.mock.calls[0][0]).toContain('unknown command "insp" (did you mean "inspect"?)');
  });

  it("inspect lists every problem of a bad module and exits 1", async () => {
    const lines: string[] = [];
    expect(await inspect(["package.json"], (l) => lines.push(l))).toBe(1);
    expect(lines.join("\n")).toMatch(/Cannot load filter "package.json":\n {2}- not a WebAssembly module/);
  });

  it.runIf(existsSync("dist/bin/cli.js"))("bin/weir.js runs the compiled CLI", () => {
    const result = spawnSync(process.execPath, ["bin/weir.js", "--help"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("usage: weir <command>");
  });
});

describe("weir validate", () => {
  it("accepts the example sidecar config and reports a typo with its position", async () => {
    const { validate } = await import("./commands/validate.ts");
    const good: string[] = [];
    expect(await validate(["-c", "examples/configs/sidecar.yaml"], (l) => good.push(l))).toBe(0);
    expect(good.join("\n")).toMatch(/valid: \d+ listeners?/);
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const file = join(await mkdtemp(join(tmpdir(), "weir-validate-")), "weir.yaml");
    await writeFile(file, "listeners:\n  - name: in\n    port: 8080\n    prot: http1\n    routes: [{ directResponse: { status: 200 } }]\n");
    const bad: string[] = [];
    expect(await validate(["-c", file], (l) => bad.push(l))).toBe(1);
    expect(bad.join("\n")).toMatch(/weir\.yaml:4:5 listeners\[0\]\.prot: unknown field "prot" \(did you mean "protocol"\?\)/);
  });
});
