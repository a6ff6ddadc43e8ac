import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { createHost } from "../../proxy/abi/index.ts";
import { BuildError, buildFilterProject } from "./build-filter.ts";
import { WEIR_ROOT } from "./weir-root.ts";

/** A filter project in a temp folder, importing the SDK from this checkout. */
async function project(source: (sdk: string) => string, weir: object = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-build-"));
  await mkdir(join(dir, "assembly"));
  const sdk = relative(join(dir, "assembly"), join(WEIR_ROOT, "sdk", "assembly"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "@acme/greeter", version: "1.2.3", weir }));
  await writeFile(join(dir, "assembly", "index.ts"), source(sdk));
  return dir;
}

const GREETER = (sdk: string) => `export * from "${sdk}/exports";
import { Action, HttpContext, RootContext, registerFilter } from "${sdk}";
class Greet extends HttpContext {
  onResponseHeaders(n: u32, end: bool): Action { this.responseHeaders.set("x-greeting", "hi"); return Action.Continue; }
}
class Root extends RootContext { createHttpContext(id: u32): HttpContext | null { return new Greet(id, this); } }
registerFilter((id: u32): RootContext => new Root(id));
`;

describe("weir build", () => {
  it("writes the module and a manifest naming ABI, digest, size and capabilities", async () => {
    const dir = await project(GREETER, { capabilities: { clusters: ["auth"] } });
    await writeFile(join(dir, "config.schema.json"), JSON.stringify({ type: "object" }));
    const result = await buildFilterProject(dir);
    expect(result.wasmPath).toBe(join(dir, "build", "greeter.wasm"));
    const manifest = JSON.parse(await readFile(result.manifestPath, "utf8"));
    const bytes = new Uint8Array(await readFile(result.wasmPath));
    expect(manifest).toMatchObject({
      name: "@acme/greeter",
      version: "1.2.3",
      abi: "0.2.1",
      size: bytes.byteLength,
      configSchema: { type: "object" },
    });
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.capabilities).toMatchObject({ clusters: ["auth"], httpCalls: false });
    expect(bytes.byteLength).toBeLessThan(64 * 1024);
    // The built module runs in the host.
    const filter = await createHost({ logger: () => {} }).loadFilter({ name: "greeter", module: bytes });
    expect(filter.state).toBe("ready");
  }, 120_000);

  it("shows the compiler's file:line message and fails", async () => {
    const dir = await project((sdk) => `${GREETER(sdk)}\nconst broken: i32 = "not a number";\n`);
    const error = await buildFilterProject(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as Error).message).toMatch(/assembly\/index\.ts\(9,\d+\)/);
  }, 120_000);

  it("explains a missing package.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-build-"));
    await expect(buildFilterProject(dir)).rejects.toThrow(/cannot read .*package\.json/);
  });
});
