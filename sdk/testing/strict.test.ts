/**
 * Pins strict mode: ABI misuse the host reports fails the next drive or inspection with an
 * `AbiMisuseError` (once per report), reading `host.abiMisuse` accepts it, and a test that
 * never looks fails when it finishes — checked by running a small test file in a child vitest.
 */

import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { AbiMisuseError, createTestHost } from "./index.ts";
import "./matchers.ts";

/** Writes a request header from the response path and continues a stream from on_tick (no stream there). */
const MISUSER = buildGuestModule({
  data: [`(data (i32.const 1024) "x-late")`],
  callbacks: {
    proxy_on_response_headers:
      "(drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 1024) (i32.const 6) (i32.const 1024) (i32.const 6))) (i32.const 0)",
    proxy_on_tick: "(drop (call $proxy_continue_stream (i32.const 0)))",
  },
});
const load = (strict: boolean) => createTestHost({ wasm: MISUSER, name: "misuser", strict, limits: { fuel: false } });
const WINDOW = "proxy_on_response_headers: write to header map 0 outside its window";

describe("strict mode", () => {
  it("fails the next inspection after a misuse, naming the filter, the callback and what was attempted", async () => {
    const host = await load(true);
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(http.responseHeaders({ ":status": "200" })).toContinue(); // the misuse happens inside this call
    let error: unknown;
    try {
      void http.request.headers;
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AbiMisuseError);
    expect((error as AbiMisuseError).misuse).toEqual([WINDOW]);
    expect((error as AbiMisuseError).message).toBe(
      `strict mode: filter "misuser" misused the proxy-wasm ABI (noticed at http.request):\n  - ${WINDOW}\n` +
        "Assert on host.abiMisuse to expect misuse, or create the host with strict: false.",
    );
    expect(http.request.headers).not.toHaveHeader("x-late"); // reported once, and the host refused the write
  });

  it("fails the next drive too, e.g. a tick after a tick that misused the ABI", async () => {
    const host = await load(true);
    host.tick();
    expect(() => host.tick()).toThrow(
      "(noticed at host.tick):\n  - proxy_on_tick: proxy_continue_stream outside a stream context (ignored)",
    );
  });

  it("lets misuse pass once the test has read host.abiMisuse", async () => {
    const host = await load(true);
    host.tick();
    expect(host.abiMisuse).toEqual(["proxy_on_tick: proxy_continue_stream outside a stream context (ignored)"]);
    expect(host.logs.all).toEqual([]);
    host.close();
  });

  it("flags a root context that reads a stream's headers without proxy_set_effective_context", async () => {
    const forgetful = buildGuestModule({
      data: [`(data (i32.const 1024) ":path")`],
      callbacks: {
        proxy_on_request_headers: "(i32.const 1)",
        proxy_on_tick:
          "(drop (call $proxy_get_header_map_value (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 300) (i32.const 304)))",
      },
    });
    const host = await createTestHost({ wasm: forgetful, name: "forgetful", strict: true, limits: { fuel: false } });
    host.http().requestHeaders({ ":path": "/" });
    host.tick();
    expect(() => host.logs).toThrow("- proxy_on_tick: read of header map 0 without a stream context (see proxy_set_effective_context)");
  });

  it("only records misuse when not strict", async () => {
    const host = await load(false);
    host.tick();
    host.tick();
    expect(host.logs.error).toEqual([]);
    expect(host.abiMisuse).toHaveLength(2);
  });

  it("fails at close() when nobody looked", async () => {
    const host = await load(true);
    host.tick();
    expect(() => host.close()).toThrow("(noticed at the end of the test)");
  });

  it("fails a test that never inspects after a misuse, when the test finishes", { timeout: 60_000 }, async () => {
    const dir = fileURLToPath(new URL(".cache/strict-end/", import.meta.url));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // A `.spec.ts` file, so this repository's own vitest run (`*.test.ts`) never picks it up;
    // vitest skips `.cache` folders by default, so this run gets a config naming its one file.
    await writeFile(join(dir, "vitest.config.mjs"), 'export default { test: { include: ["*.spec.ts"], exclude: [] } };\n');
    const kit = fileURLToPath(new URL("./index.ts", import.meta.url));
    await writeFile(
      join(dir, "misuse.spec.ts"),
      [
        `import { it } from "vitest";`,
        `import { createTestHost } from ${JSON.stringify(kit)};`,
        `const wasm = new Uint8Array(${JSON.stringify([...MISUSER])});`,
        `it("ticks and never looks", async () => {`,
        `  const host = await createTestHost({ wasm, name: "misuser", strict: true, limits: { fuel: false } });`,
        "  host.tick();",
        "});",
        `it("is not strict", async () => {`,
        `  (await createTestHost({ wasm, name: "misuser", limits: { fuel: false } })).tick();`,
        "});",
      ].join("\n"),
    );
    const vitest = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
    const report = await new Promise<string>((resolve) =>
      execFile(process.execPath, [vitest, "run", "--root", dir, "--reporter=json"], { cwd: dir }, (_err, stdout) => resolve(stdout)),
    );
    const results = JSON.parse(report.slice(report.indexOf("{"))).testResults[0].assertionResults;
    expect(results.map((r: { status: string }) => r.status)).toEqual(["failed", "passed"]);
    expect(results[0].failureMessages[0]).toContain(
      "(noticed at the end of the test):\n  - proxy_on_tick: proxy_continue_stream outside a stream context",
    );
  });
});
