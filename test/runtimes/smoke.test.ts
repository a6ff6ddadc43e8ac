/**
 * Node 20 cannot run TypeScript directly, so on Node the runtime smoke cases (smoke.ts) run
 * through vitest: each case is one `it`, exactly the code run.ts runs on Deno and Bun.
 *
 *   npx vitest run test/runtimes/smoke.test.ts
 */

import { describe, it } from "vitest";
import { cases, detectRuntime } from "./smoke.ts";

describe(`${detectRuntime()} smoke`, () => {
  for (const c of cases) it(c.name, c.run);
});
