/**
 * Every example of README.md, run. Each ```ts block of the README is the text of one
 * `#region readme` below (dedented); the set-up block's imports are this file's, with
 * `weir/testing` standing for `./index.ts`. The last test fails when the two drift apart.
 */

import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFilter } from "../../test/support/build-as.ts";
import { createTestHost } from "./index.ts";
import "./matchers.ts";

let addHeaderWasm: string;
let auth: Uint8Array;
let counter: Uint8Array;
let tick: Uint8Array;
const helloSource = "sdk/testing/testdata/hello/assembly/index.ts";

beforeAll(async () => {
  addHeaderWasm = join(await mkdtemp(join(tmpdir(), "weir-readme-")), "add-header.wasm");
  await writeFile(addHeaderWasm, await buildFilter("gcore", "add-header"));
  [auth, counter, tick] = await Promise.all([buildFilter("gcore", "auth"), buildFilter("gcore", "counter"), buildFilter("gcore", "tick")]);
}, 180_000);

describe("README examples", () => {
  it("quick start", async () => {
    // #region readme
    const host = await createTestHost({ wasmPath: addHeaderWasm, config: "x-weir-added=yes" });
    const http = host.http();

    expect(http.requestHeaders({ ":method": "GET", ":path": "/" }, { endOfStream: true })).toContinue();
    expect(http.request.headers).toHaveHeader("x-weir-added", "yes");

    expect(http.responseHeaders({ ":status": "200" }, { endOfStream: true })).toContinue();
    expect(http.response.headers).toHaveHeader("x-weir-added", "yes");
    http.complete();
    // #endregion
  });

  it("loading a filter", { timeout: 180_000 }, async () => {
    // #region readme
    const fromBytes = await createTestHost({ wasm: await readFile(addHeaderWasm), config: "x-weir-added=yes" });
    const fromSource = await createTestHost({ source: helloSource });
    const fromSdkSource = await createTestHost({
      source: {
        entry: "test/conformance/filters/solo/add-header/assembly/index.ts",
        compiler: "0.17", // @solo-io/proxy-runtime needs AssemblyScript 0.17
        extraArgs: ["--use", "abort=abort_proc_exit"],
      },
      rootId: "add-header", // solo-io's SDK finds its root context by this name
      config: "x-weir-added=yes",
    });

    expect([fromBytes.filter.abi, fromSource.filter.name, fromSdkSource.filter.abi]).toEqual(["0.2.1", "hello", "0.2.0"]);
    // #endregion
  });

  it("driving a stream", async () => {
    // #region readme
    const host = await createTestHost({ wasm: auth });
    const http = host.http();

    const result = http.requestHeaders({ ":method": "POST", ":path": "/orders", authorization: "Bearer t0k3n" });
    expect(result).toPause();
    expect(result.statusName).toBe("StopAllIterationAndWatermark");
    expect(http.requestBody('{"item":')).toPause(); // held: the filter paused at the headers
    expect(http.requestBody('"tea"}', { endOfStream: true })).toPause();

    const [call] = host.httpCalls;
    expect(call.cluster).toBe("auth");
    expect(call.headers).toHaveHeader("authorization", "Bearer t0k3n");
    await call.respond({ status: 200 });

    expect(http).toContinue();
    expect(http.continues).toEqual(["request"]);
    expect(http.request.headers).toHaveHeader("x-auth", "ok");
    expect(http.request.body).toBe('{"item":"tea"}');
    // #endregion
  });

  it("http calls", async () => {
    // #region readme
    const host = await createTestHost({ wasm: auth });
    const [denied, failed, slow] = [host.http(), host.http(), host.http()];
    for (const http of [denied, failed, slow]) http.requestHeaders({ ":path": "/" }, { endOfStream: true });

    await host.httpCalls[0].respond({ status: 403, body: "no" });
    await host.httpCalls[1].fail("connection refused");
    host.advance(1000); // the filter's timeout

    expect(host.httpCalls.map((call) => call.state)).toEqual(["answered", "failed", "timed-out"]);
    for (const http of [denied, failed, slow]) {
      expect(http).toRespondWith(401, { body: "unauthorized", details: "auth_denied" });
    }
    // #endregion
  });

  it("time and ticks", async () => {
    // #region readme
    const host = await createTestHost({ wasm: tick });
    expect(host.tickPeriod).toBe(100);

    host.advance(250);
    expect(host.logs.info).toEqual(["[INFO]: tick 1", "[INFO]: tick 2"]); // G-Core logs through WASI stdout
    host.tick();
    expect(host).toHaveLogged("info", "tick 3");
    expect(host.sharedData.get("ticks")).toBe("3");
    // #endregion
  });

  it("shared data, metrics, foreign functions, queues", { timeout: 180_000 }, async () => {
    // #region readme
    const counting = await createTestHost({ wasm: counter });
    counting.sharedData.set("requests", "41"); // as another filter with the same vm_id would
    counting.http().requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(counting.sharedData.get("requests")).toBe("42");

    const host = await createTestHost({
      source: helloSource,
      foreignFunctions: { greeting: (args) => `hi, ${new TextDecoder().decode(args)}` },
    });
    const http = host.http();
    http.requestHeaders({ ":path": "/tea" }, { endOfStream: true });
    expect(http.request.headers).toHaveHeader("x-greeting", "hi, /tea");
    expect(host.foreignCalls).toMatchObject([{ name: "greeting", text: "/tea", http }]);
    expect(host.metrics.get("hello_requests_total")).toBe(1);

    await host.enqueue("greetings", "good morning");
    expect(host.logs.info).toEqual(["hello from /tea", "queued: good morning"]);
    // #endregion
  });

  it("logs", async () => {
    // #region readme
    const host = await createTestHost({ wasm: auth, clusters: ["billing"] });
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });

    expect(host).toHaveLogged("warn", '[host] http call to unknown cluster "auth"');
    expect(http).toRespondWith(500, { details: "auth_dispatch_failed" });
    // #endregion
  });

  it("strict mode", async () => {
    // #region readme
    const host = await createTestHost({ wasm: auth, strict: true });
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    await host.httpCalls[0].respond({ status: 200 });

    expect(http).toContinue();
    expect(host.abiMisuse).toEqual([]);
    // #endregion
  });

  it("failures", { timeout: 180_000 }, async () => {
    // #region readme
    const host = await createTestHost({ source: helloSource });
    const http = host.http();

    const result = http.requestHeaders({ ":path": "/panic" }, { endOfStream: true });
    expect(result).toStop();
    expect(result.failure?.kind).toBe("trap");
    expect(http).toRespondWith(503, { details: "wasm_fail_stream" });
    expect(host.logs.critical[0]).toMatch(/^abort: panic requested/);

    const forgiving = await createTestHost({ source: helloSource, failurePolicy: "fail-open" });
    expect(forgiving.http().requestHeaders({ ":path": "/panic" }, { endOfStream: true })).toContinue();
    // #endregion
  });
});

describe("README.md", () => {
  it("shows exactly the examples above, in order, and this file's imports", async () => {
    const readme = await readFile(new URL("./README.md", import.meta.url), "utf8");
    const self = await readFile(new URL(import.meta.url), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const imports = blocks.filter((b) => b.split("\n").every((line) => line === "" || line.startsWith("import ")));
    const examples = blocks.filter((b) => !imports.includes(b));
    const regions = [...self.matchAll(/\n( *)\/\/ #region readme\n([\s\S]*?)\n *\/\/ #endregion/g)].map(
      ([, indent, body]) =>
        `${body
          .split("\n")
          .map((line) => line.slice(indent.length))
          .join("\n")}\n`,
    );
    expect(examples).toEqual(regions);
    const local = (line: string) => line.replace('"weir/testing/matchers"', '"./matchers.ts"').replace('"weir/testing"', '"./index.ts"');
    for (const line of imports.join("\n").split("\n").filter(Boolean)) expect(self).toContain(`\n${local(line)}\n`);
  });
});
