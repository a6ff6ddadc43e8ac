/**
 * The quickstart does what it prints: an allowed call, a 401, a 429 after five calls a
 * minute, and a 503 from the app retried into a 200 — over real sockets, with the four
 * first-party filters built from source.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_API_KEY, type Quickstart, startQuickstart } from "./quickstart.ts";

let qs: Quickstart;
const call = async (path: string, key?: string) => {
  const res = await fetch(`http://127.0.0.1:${qs.port}${path}`, { headers: key ? { "x-api-key": key } : {} });
  return { status: res.status, headers: res.headers, body: await res.text() };
};

describe("examples/quickstart", () => {
  beforeAll(async () => {
    qs = await startQuickstart({ port: 0, appPort: 0, adminPort: 0, accessLog: "off", log: () => {} });
  }, 300_000);
  afterAll(() => qs?.stop());

  it("prints the curl commands to try", () => {
    expect(qs.commands.join("\n")).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/api\/hello -H 'x-api-key: demo-key'/);
  });

  it("lets an allowed call through to the app", async () => {
    const res = await call("/api/hello", DEMO_API_KEY);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ message: "hello from the app", path: "/api/hello" });
    // ratelimit reports the key's bucket on the response (5 a minute, this is the first call).
    expect([res.headers.get("ratelimit-limit"), res.headers.get("ratelimit-remaining")]).toEqual(["5", "4"]);
    expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
  });

  it("answers 401 with WWW-Authenticate without a key, or with an unknown one", async () => {
    const res = await call("/api/hello");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBeTruthy();
    expect((await call("/api/hello", "other-key")).status).toBe(401);
  });

  it("retries the app's 503 into a 200 on the second attempt", async () => {
    const res = await call("/api/flaky", DEMO_API_KEY);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ message: "it worked this time", attempt: "2" });
  });

  it("answers 429 with Retry-After once the key used its 5 calls a minute", async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await call("/api/hello", DEMO_API_KEY);
      statuses.push(last.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(5);
    const limited = await call("/api/hello", DEMO_API_KEY);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("x-weir-response-flags")).toBeNull();
  });
});
