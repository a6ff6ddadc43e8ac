/**
 * `npx tsx filters/auth/bench.ts`: µs per request through the auth filter. One request = a
 * stream's request headers → response headers → log/done/delete. Paths: a public path (the
 * filter's floor), an API key, and a JWT of each algorithm (host crypto: node:crypto), next
 * to the SDK's empty filter. Median of 7 rounds; also the module size.
 *
 * Columns: `kit` drives the filter through weir's test kit (`createTestHost`, whose views
 * and records cost about as much as the filter); `host` drives weir's host directly, as the
 * proxy does (`filter.createStream`, as test/sdk-assembly/bench.ts). Run this way both come
 * from TypeScript sources through tsx, whose keepNames helpers slow the host about 2×; when
 * `dist/` exists (`npx tsc -p tsconfig.build.json`), `host (dist)` times the compiled host, as
 * `weir` runs it. `crypto` is node:crypto's verify alone, per JWT. Not a test: timings depend
 * on the machine.
 */

import { createHash, createHmac, generateKeyPairSync, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Abi from "../../proxy/abi/index.ts";
import * as abi from "../../proxy/abi/index.ts";
import { nodeCrypto } from "../../proxy/runtime/node/crypto.ts";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";
import * as kit from "../../sdk/testing/index.ts";
import { buildSdkFilter } from "../../test/sdk-assembly/support.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STREAMS = Number(process.env.WEIR_BENCH_STREAMS ?? 20_000);
const ROUNDS = 7;

const build = await buildFilterProject(join(ROOT, "filters/auth"));
const auth = new Uint8Array(await readFile(build.wasmPath));
/** The SDK's empty filter: what the kit and the host cost without auth. */
const noop = await buildSdkFilter("noop");

const secret = Buffer.alloc(32, 7);
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
// Valid on the kit's manual clock (2025) and on the host's real one.
const payload = { iss: "https://idp.example", aud: "api", sub: "alice", email: "alice@example.com", exp: Date.UTC(2100, 0, 1) / 1000 };
const token = (alg: string, kid: string, signer: (data: string) => Buffer) => {
  const data = `${b64({ alg, kid, typ: "JWT" })}.${b64(payload)}`;
  return `Bearer ${data}.${signer(data).toString("base64url")}`;
};

const CONFIG = {
  jwt: {
    issuer: "https://idp.example",
    audiences: ["api"],
    jwks: {
      keys: [
        { kty: "oct", kid: "hs", k: secret.toString("base64url") },
        { ...rsa.publicKey.export({ format: "jwk" }), kid: "rs" },
        { ...ec.publicKey.export({ format: "jwk" }), kid: "es" },
      ],
    },
    forwardClaims: { sub: "x-user", email: "x-user-email" },
  },
  apiKeys: { hashes: [`sha256:${createHash("sha256").update("k-0123456789abcdef").digest("hex")}`] },
  require: ["apiKey", "jwt"],
  rules: [{ prefix: "/public", require: "none" }],
};

const REQUEST = { ":method": "GET", ":path": "/api/orders?limit=10", ":authority": "api", ":scheme": "http", "user-agent": "bench/1.0" };
const CASES: [string, Record<string, string>, Uint8Array?][] = [
  ["empty SDK filter (floor)", {}, noop],
  ["public path (no check)", { ":path": "/public/logo.png" }],
  ["API key", { "x-api-key": "k-0123456789abcdef" }],
  ["JWT HS256", { authorization: token("HS256", "hs", (d) => createHmac("sha256", secret).update(d).digest()) }],
  ["JWT RS256", { authorization: token("RS256", "rs", (d) => sign("sha256", Buffer.from(d), rsa.privateKey)) }],
  [
    "JWT ES256",
    { authorization: token("ES256", "es", (d) => sign("sha256", Buffer.from(d), { key: ec.privateKey, dsaEncoding: "ieee-p1363" })) },
  ],
];

type Run = (n: number) => void;

/** A stream loop per case through the test kit. */
async function kitRuns(): Promise<Run[]> {
  const runs: Run[] = [];
  for (const [name, extra, wasm = auth] of CASES) {
    const host = await kit.createTestHost({ wasm, name: "auth", config: CONFIG, crypto: nodeCrypto, logLevel: "info" });
    const headers = { ...REQUEST, ...extra };
    runs.push((n) => {
      for (let i = 0; i < n; i++) {
        const http = host.http();
        if (http.requestHeaders(headers, { endOfStream: true }).action !== "continue")
          throw new Error(`${name}: the filter did not let the request through`);
        http.responseHeaders({ ":status": "200" }, { endOfStream: true });
        http.complete();
      }
    });
  }
  return runs;
}

/** A stream loop per case straight through the host (`api`: from sources or from dist/). */
async function hostRuns(api: typeof Abi, crypto: typeof nodeCrypto): Promise<Run[]> {
  const runs: Run[] = [];
  for (const [name, extra, module = auth] of CASES) {
    const host = api.createHost({ logger: () => {}, crypto });
    const filter = await host.loadFilter({ name: "auth", module, config: JSON.stringify(CONFIG), limits: { fuel: false } });
    const request = Object.entries({ ...REQUEST, ...extra });
    const response: [string, string][] = [[":status", "200"]];
    runs.push((n) => {
      for (let i = 0; i < n; i++) {
        const stream = filter.createStream({});
        stream.onRequestHeaders(new api.HeaderMap(request), true);
        if (stream.localReply !== undefined) throw new Error(`${name}: the filter answered ${stream.localReply.status}`);
        stream.onResponseHeaders(new api.HeaderMap(response), true);
        stream.complete();
      }
    });
  }
  return runs;
}

/** node:crypto's verify alone, for the JWT cases (the host's share of them). */
function cryptoRuns(): Run[] {
  return CASES.map(([, extra]): Run => {
    const jwt = extra.authorization?.slice(7);
    if (jwt === undefined) return () => {};
    const [head, body, sig] = jwt.split(".");
    const { alg, kid } = JSON.parse(Buffer.from(head, "base64url").toString());
    const key = kid === "hs" ? secret : Buffer.from(JSON.stringify(CONFIG.jwt.jwks.keys.find((k) => k.kid === kid)));
    const data = Buffer.from(`${head}.${body}`);
    const signature = Buffer.from(sig, "base64url");
    return (n) => {
      for (let i = 0; i < n; i++) if (!nodeCrypto.verify(alg, key, data, signature)) throw new Error("crypto: invalid");
    };
  });
}

/** Median µs per request of each run, timed one after the other (a JWT run's garbage would slow the next). */
function time(runs: Run[]): number[] {
  const perRound = Math.floor(STREAMS / ROUNDS);
  return runs.map((run) => {
    run(Math.min(5_000, STREAMS)); // warm up: let V8 tier up
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      run(perRound);
      samples.push(((performance.now() - start) * 1000) / perRound);
    }
    return samples.sort((a, b) => a - b)[ROUNDS >> 1];
  });
}

const columns: [string, number[]][] = [
  ["kit (tsx)", time(await kitRuns())],
  ["host (tsx)", time(await hostRuns(abi, nodeCrypto))],
];
if (existsSync(join(ROOT, "dist/proxy/abi/index.js"))) {
  const compiled: typeof Abi = await import(join(ROOT, "dist/proxy/abi/index.js"));
  const { nodeCrypto: compiledCrypto } = await import(join(ROOT, "dist/proxy/runtime/node/crypto.js"));
  columns.push(["host (dist)", time(await hostRuns(compiled, compiledCrypto))]);
}
columns.push(["crypto", time(cryptoRuns())]);

console.log(`auth filter: µs per request on Node ${process.version}, median of ${ROUNDS} rounds of ${Math.floor(STREAMS / ROUNDS)}`);
console.log(`module: ${build.manifest.size} bytes (${(build.manifest.size / 1024).toFixed(1)} KiB; target < 64 KiB)\n`);
console.log(`${"path".padEnd(24)}${columns.map(([title]) => title.padStart(13)).join("")}`);
for (const [i, [name]] of CASES.entries()) {
  console.log(`${name.padEnd(24)}${columns.map(([, us]) => (us[i] < 0.05 ? "-" : us[i].toFixed(2)).padStart(13)).join("")}`);
}
console.log("\ntarget: the API-key path ≤ 5 µs per request");
