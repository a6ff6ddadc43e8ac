/**
 * Pins how `createTestHost` loads and starts a filter: from bytes, a `.wasm` path (string or
 * URL) or AssemblyScript source; the default name; the plugin identity it passes (name, root
 * id, vm id); errors that say what was attempted; and the host's own load errors and limits.
 */

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FilterLoadError } from "../../proxy/abi/index.ts";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createTestHost } from "./index.ts";
import "./matchers.ts";

const PROPS = ["plugin_name", "plugin_root_id", "plugin_vm_id"];
/** Logs its plugin name, root id and vm id in on_configure; `/loop` spins forever. */
const IDENTITY = buildGuestModule({
  data: PROPS.map((p, i) => `(data (i32.const ${4096 + 32 * i}) "${p}")`),
  callbacks: {
    proxy_on_configure: `
      ${PROPS.map(
        (p, i) => `
        (drop (call $proxy_get_property (i32.const ${4096 + 32 * i}) (i32.const ${p.length}) (i32.const 300) (i32.const 304)))
        (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 300)) (i32.load (i32.const 304))))`,
      ).join("")}
      (i32.const 1)`,
    proxy_on_request_headers: "(loop $spin (br $spin)) (i32.const 0)",
  },
});

describe("loading", () => {
  it("loads bytes (Uint8Array or ArrayBuffer) and passes name, root id and vm id", async () => {
    const host = await createTestHost({ wasm: IDENTITY, limits: { fuel: false } });
    expect(host.logs.info).toEqual(["filter", "", ""]);
    const named = await createTestHost({
      wasm: IDENTITY.slice().buffer,
      name: "auth",
      rootId: "root",
      vmId: "vm",
      limits: { fuel: false },
    });
    expect(named.logs.info).toEqual(["auth", "root", "vm"]);
    expect(named.sharedData.vmId).toBe("vm");
  });

  it("loads a .wasm path, relative to the working directory or as a URL, named after the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-testing-"));
    const file = join(dir, "identity.wasm");
    await writeFile(file, IDENTITY);
    const byPath = await createTestHost({ wasmPath: relative(process.cwd(), file), limits: { fuel: false } });
    const byUrl = await createTestHost({ wasmPath: pathToFileURL(file), limits: { fuel: false } });
    expect([byPath.logs.info[0], byUrl.logs.info[0]]).toEqual(["identity", "identity"]);
    await expect(createTestHost({ wasmPath: join(dir, "missing.wasm") })).rejects.toThrow(
      `Cannot read filter "${join(dir, "missing.wasm")}": ENOENT`,
    );
  });

  it("builds AssemblyScript source (a filter on the raw ABI here), named after its folder", { timeout: 120_000 }, async () => {
    const host = await createTestHost({ source: new URL("./testdata/hello/assembly/index.ts", import.meta.url) });
    const http = host.http();
    expect(http.requestHeaders({ ":path": "/greet" }, { endOfStream: true })).toContinue();
    expect(http.request.headers).toHaveHeader("x-hello", "world");
    expect([host.filter.name, host.logs.info]).toEqual(["hello", ["hello from /greet"]]);
  });

  it("says what is missing when the source does not compile", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-testing-"));
    await writeFile(join(dir, "index.ts"), "export function broken(): i32 { return nope; }\n");
    await expect(createTestHost({ source: join(dir, "index.ts") })).rejects.toThrow(
      /^Cannot build filter ".*index\.ts": asc .* failed[\s\S]*nope/,
    );
  });

  it("needs exactly one of wasm, wasmPath and source", async () => {
    await expect(createTestHost({})).rejects.toThrow(
      "createTestHost needs exactly one of wasm, wasmPath or source to load a filter (got none)",
    );
    await expect(createTestHost({ wasm: IDENTITY, source: "x.ts" })).rejects.toThrow("(got wasm and source)");
  });
});

describe("starting", () => {
  it("throws the host's FilterLoadError, with the filter's log, when the filter rejects its configuration", async () => {
    const rejecting = buildGuestModule({
      data: [`(data (i32.const 1024) "bad config")`],
      callbacks: { proxy_on_configure: "(drop (call $proxy_log (i32.const 4) (i32.const 1024) (i32.const 10))) (i32.const 0)" },
    });
    const error = await createTestHost({ wasm: rejecting, name: "picky", config: "x" }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FilterLoadError);
    expect((error as FilterLoadError).message).toBe(
      'Cannot load filter "picky":\n  - proxy_on_configure returned false (the filter rejected its configuration)\nfilter log:\n  | bad config',
    );
  });

  it("runs metered by default, so a runaway callback exhausts its CPU budget", async () => {
    const host = await createTestHost({ wasm: IDENTITY, limits: { fuel: 100_000 } });
    const http = host.http();
    expect(http.requestHeaders({ ":path": "/loop" })).toStop();
    expect(host.failure?.kind).toBe("fuel");
    expect(http).toRespondWith(503, { details: "wasm_fail_stream" });
  });
});
