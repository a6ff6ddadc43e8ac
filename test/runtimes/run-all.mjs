/**
 * Runs the runtime smoke suite (test/runtimes/smoke.ts) on Node, Deno and Bun, one after the
 * other, each as a child process with inherited stdio and a time limit:
 *
 *   node   node_modules/vitest/vitest.mjs run --reporter=verbose test/runtimes/smoke.test.ts
 *   deno   node_modules/deno/deno run --no-prompt test/runtimes/run.ts      (no permissions at all)
 *   bun    node_modules/bun/bin/bun.exe ./test/runtimes/run.ts
 *
 * The runtimes are the repo's own devDependencies, started straight from node_modules (never
 * through npx, which could reach for the registry). Deno runs without any permission, so the
 * suite cannot touch the network or the file system beyond loading its modules; it reads
 * `binaryen` from node_modules through the repo's package.json (no deno.json needed).
 *
 * Usage: node test/runtimes/run-all.mjs [node] [deno] [bun]   (default: all three)
 * Env:   WEIR_RUNTIME_TIMEOUT_MS   time limit per runtime (default 180000)
 *
 * Prints a summary and, last, `N passed, N failed` counting runtimes; exits 1 if any failed.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TIMEOUT_MS = Number(process.env.WEIR_RUNTIME_TIMEOUT_MS ?? 180_000);
const win = process.platform === "win32";

/** name → how to start it; `missing` says how to get the binary when it is not there. */
const RUNTIMES = {
  node: {
    command: process.execPath,
    args: [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--reporter=verbose", "test/runtimes/smoke.test.ts"],
    needs: join(ROOT, "node_modules/vitest/vitest.mjs"),
    missing: "vitest is not installed: run npm install",
  },
  deno: {
    command: join(ROOT, "node_modules/deno", win ? "deno.exe" : "deno"),
    args: ["run", "--no-prompt", "test/runtimes/run.ts"],
    missing: "deno's binary is missing: run npm install (the deno package's install script fetches it)",
  },
  bun: {
    command: join(ROOT, "node_modules/bun/bin/bun.exe"),
    args: ["./test/runtimes/run.ts"],
    missing: "bun's binary is missing: run node node_modules/bun/install.js",
  },
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in RUNTIMES)) {
    console.error(`unknown runtime "${name}" (expected ${Object.keys(RUNTIMES).join(", ")})`);
    process.exit(2);
  }
}
const selected = wanted.length > 0 ? wanted : Object.keys(RUNTIMES);

// Keep the children off the network: no update checks, no telemetry.
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", DO_NOT_TRACK: "1" };

/** The child being run, so Ctrl-C can stop it (it runs in its own process group). */
let current;
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    if (current) stop(current, "SIGKILL");
    process.exit(code);
  });
}

function stop(child, signal) {
  try {
    if (!win && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

/** Runs one runtime; resolves to { ok, detail, ms }. */
function run(name) {
  const spec = RUNTIMES[name];
  const needed = spec.needs ?? spec.command;
  if (!existsSync(needed)) return Promise.resolve({ ok: false, detail: spec.missing, ms: 0 });
  console.log(`\n=== ${name}: ${[spec.command, ...spec.args].map((a) => a.replace(`${ROOT}/`, "")).join(" ")}`);
  const started = performance.now();
  return new Promise((done) => {
    // Own process group (POSIX), so a timeout also ends vitest's workers.
    const child = spawn(spec.command, spec.args, { cwd: ROOT, env, stdio: "inherit", detached: !win });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop(child, "SIGTERM");
      setTimeout(() => stop(child, "SIGKILL"), 5_000).unref();
    }, TIMEOUT_MS);
    const finish = (result) => {
      clearTimeout(timer);
      current = undefined;
      done({ ...result, ms: performance.now() - started });
    };
    child.on("error", (err) => finish({ ok: false, detail: `cannot start: ${err.message}` }));
    child.on("exit", (code, signal) => {
      if (timedOut) finish({ ok: false, detail: `timed out after ${TIMEOUT_MS} ms` });
      else if (code === 0) finish({ ok: true, detail: "" });
      else finish({ ok: false, detail: signal ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}

const results = [];
for (const name of selected) results.push({ name, ...(await run(name)) });

console.log("\nruntime smoke summary:");
for (const r of results) {
  const time = `${(r.ms / 1000).toFixed(1)} s`.padStart(7);
  console.log(`  ${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(5)} ${time}${r.detail ? `  ${r.detail}` : ""}`);
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
