/**
 * The filter author's first minutes, for real: `weir init`, then `npm install`, `weir build`
 * and `vitest run` inside the new project, each as its own process, as on a fresh machine.
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { WEIR_ROOT } from "../build/weir-root.ts";
import { InitError, initProject } from "./init-project.ts";

const run = promisify(execFile);

describe("weir init", () => {
  it("scaffolds a project where npm install, weir build and vitest run pass straight away", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "weir-init-")), "my-filter");
    const result = await initProject(dir);
    expect(result.files).toEqual(
      expect.arrayContaining(["package.json", "assembly/index.ts", "test/filter.test.ts", "README.md", "config.schema.json"]),
    );
    const env = { ...process.env, CI: "true" };
    await run("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, env, maxBuffer: 16 << 20 });
    const built = await run(process.execPath, [join(dir, "node_modules", "weir", "bin", "weir.js"), "build"], { cwd: dir, env });
    expect(built.stdout).toMatch(/built build\/my-filter\.wasm \(\d+\.\d KiB, ABI 0\.2\.1/);
    const manifest = JSON.parse(await readFile(join(dir, "build", "my-filter.manifest.json"), "utf8"));
    expect(manifest.name).toBe("my-filter");
    const tested = await run(process.execPath, [join(dir, "node_modules", "vitest", "vitest.mjs"), "run"], { cwd: dir, env });
    expect(tested.stdout).toMatch(/2 passed/);
  }, 300_000);

  it("refuses a folder that is not empty", async () => {
    await expect(initProject(WEIR_ROOT)).rejects.toBeInstanceOf(InitError);
  });
});
