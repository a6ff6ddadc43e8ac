/**
 * The auth filter through weir's test kit: the real host with the runtime's crypto
 * (`nodeCrypto`), a manual clock and http calls the tests answer. Keys and tokens are made
 * here with node:crypto, so every test knows exactly what it sends.
 */

import { createHash, createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { FilterLoadError } from "../../proxy/abi/index.ts";
import { nodeCrypto } from "../../proxy/runtime/node/crypto.ts";
import { type BuildFilterResult, buildFilterProject } from "../../sdk/build/build-filter.ts";
import { createTestHost, type TestHostOptions } from "../../sdk/testing/index.ts";
import "../../sdk/testing/matchers.ts";

const DIR = fileURLToPath(new URL(".", import.meta.url));

// ---- keys and tokens ---------------------------------------------------------------------

const secret = randomBytes(32);
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherEc = generateKeyPairSync("ec", { namedCurve: "P-256" });

const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: "jwk" }), kid, use: "sig" });
const JWKS = {
  keys: [{ kty: "oct", kid: "hs", k: secret.toString("base64url") }, jwk(rsa.publicKey, "rs"), jwk(ec.publicKey, "es")],
};

type Alg = "HS256" | "RS256" | "ES256";
const KIDS: Record<Alg, string> = { HS256: "hs", RS256: "rs", ES256: "es" };
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A JWS compact token: `header` is merged over `{ alg, kid }`; `signer` overrides the key. */
function token(alg: Alg, payload: object, header: object = {}, signer?: (data: string) => Buffer): string {
  const data = `${b64({ alg, kid: KIDS[alg], typ: "JWT", ...header })}.${b64(payload)}`;
  const signature =
    signer?.(data) ??
    (alg === "HS256"
      ? createHmac("sha256", secret).update(data).digest()
      : alg === "RS256"
        ? sign("sha256", Buffer.from(data), rsa.privateKey)
        : sign("sha256", Buffer.from(data), { key: ec.privateKey, dsaEncoding: "ieee-p1363" }));
  return `${data}.${signature.toString("base64url")}`;
}

const START = Date.UTC(2025, 0, 1) / 1000; // the kit's clock starts here
const claims = (extra: object = {}) => ({
  iss: "https://idp.example",
  aud: "api",
  sub: "alice",
  email: "alice@example.com",
  exp: START + 600,
  ...extra,
});
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

// ---- the filter --------------------------------------------------------------------------

let build: BuildFilterResult;
let wasm: Uint8Array;
beforeAll(async () => {
  build = await buildFilterProject(DIR);
  wasm = new Uint8Array(await readFile(build.wasmPath));
}, 180_000);

const JWT = {
  issuer: "https://idp.example",
  audiences: ["api", "admin-api"],
  jwks: JWKS,
  forwardClaims: { sub: "x-user", email: "x-user-email" },
};

function start(config: object, options: Partial<TestHostOptions> = {}) {
  return createTestHost({ wasm, name: "auth", config, crypto: nodeCrypto, ...options });
}

/** Sends request headers (GET `path`, no body) on a new stream. */
async function request(config: object, headers: Record<string, string>, path = "/api/orders") {
  const host = await start(config);
  const http = host.http();
  const result = http.requestHeaders({ ":method": "GET", ":path": path, ":authority": "api", ...headers }, { endOfStream: true });
  return { host, http, result };
}

describe("auth filter: build", () => {
  it("builds a module under 64 KiB that declares weir.verify_signature", () => {
    expect(build.manifest.size).toBeLessThan(64 * 1024);
    expect(build.manifest).toMatchObject({
      name: "@weir/auth",
      abi: "0.2.1",
      capabilities: { foreignFunctions: ["weir.verify_signature"] },
    });
    expect(build.manifest.configSchema).toMatchObject({ type: "object" });
  });
});

describe("auth filter: JWT", () => {
  for (const alg of ["HS256", "RS256", "ES256"] as const) {
    it(`lets a valid ${alg} token through and forwards its claims`, async () => {
      const { http, result } = await request({ jwt: JWT }, bearer(token(alg, claims())));
      expect(result).toContinue();
      expect(http.request.headers).toHaveHeader("x-user", "alice");
      expect(http.request.headers).toHaveHeader("x-user-email", "alice@example.com");
    });
  }

  it("answers a request without credentials 401 with a Bearer challenge and no error code (RFC 6750 §3.1)", async () => {
    const { http } = await request({ jwt: JWT, realm: "orders" }, {});
    expect(http).toRespondWith(401, { headers: { "www-authenticate": 'Bearer realm="orders"' }, details: "ext_authz_denied" });
  });

  it("takes an Authorization scheme case-insensitively, and ignores other schemes", async () => {
    expect((await request({ jwt: JWT }, { authorization: `bearer  ${token("HS256", claims())}` })).result).toContinue();
    const { http } = await request({ jwt: JWT }, { authorization: "Basic YWxpY2U6cHc=" });
    expect(http).toRespondWith(401, { headers: { "www-authenticate": 'Bearer realm="weir"' } });
  });

  it("reads the token from a cookie when configured", async () => {
    const config = { jwt: { ...JWT, cookie: "session" } };
    const { result } = await request(config, { cookie: `theme=dark; session=${token("ES256", claims())}; lang=en` });
    expect(result).toContinue();
    const { http } = await request(config, { cookie: `xsession=${token("ES256", claims())}` });
    expect(http).toRespondWith(401);
  });

  const invalid = (description: string) => ({
    headers: { "www-authenticate": `Bearer realm="weir", error="invalid_token", error_description="${description}"` },
    details: "ext_authz_denied",
  });

  it("refuses an expired token, allowing clockSkewSeconds (default 60) of skew", async () => {
    const t = token("RS256", claims({ exp: START - 30 }));
    expect((await request({ jwt: JWT }, bearer(t))).result).toContinue(); // within the default 60 s
    const { http } = await request({ jwt: { ...JWT, clockSkewSeconds: 0 } }, bearer(t));
    expect(http).toRespondWith(401, invalid("token expired"));
    const old = await request({ jwt: JWT }, bearer(token("RS256", claims({ exp: START - 61 }))));
    expect(old.http).toRespondWith(401, invalid("token expired"));
  });

  it("expires tokens as the host clock moves", async () => {
    const host = await start({ jwt: { ...JWT, clockSkewSeconds: 5 } });
    const t = token("HS256", claims({ exp: START + 10 }));
    expect(host.http().requestHeaders({ ":path": "/", ...bearer(t) }, { endOfStream: true })).toContinue();
    host.advance(14_000);
    expect(host.http().requestHeaders({ ":path": "/", ...bearer(t) }, { endOfStream: true })).toContinue();
    host.advance(1_000);
    const late = host.http();
    late.requestHeaders({ ":path": "/", ...bearer(t) }, { endOfStream: true });
    expect(late).toRespondWith(401, invalid("token expired"));
  });

  it("refuses a token that is not yet valid, with and without skew", async () => {
    const soon = token("ES256", claims({ nbf: START + 30 }));
    expect((await request({ jwt: JWT }, bearer(soon))).result).toContinue();
    const strict = { jwt: { ...JWT, clockSkewSeconds: 10 } };
    const { http } = await request(strict, bearer(soon));
    expect(http).toRespondWith(401, invalid("token not yet valid"));
    const host = await start(strict);
    host.advance(20_000);
    expect(host.http().requestHeaders({ ":path": "/", ...bearer(soon) }, { endOfStream: true })).toContinue();
  });

  it("refuses a token without exp", async () => {
    const { http } = await request({ jwt: JWT }, bearer(token("HS256", { ...claims(), exp: undefined })));
    expect(http).toRespondWith(401, invalid("exp missing"));
  });

  it("checks iss and aud (a string or an array)", async () => {
    expect((await request({ jwt: JWT }, bearer(token("RS256", claims({ iss: "https://evil.example" }))))).http).toRespondWith(
      401,
      invalid("wrong issuer"),
    );
    expect((await request({ jwt: JWT }, bearer(token("RS256", claims({ aud: "billing" }))))).http).toRespondWith(
      401,
      invalid("wrong audience"),
    );
    expect((await request({ jwt: JWT }, bearer(token("RS256", claims({ aud: ["billing", "admin-api"] }))))).result).toContinue();
    expect((await request({ jwt: JWT }, bearer(token("RS256", claims({ aud: ["billing"] }))))).http).toRespondWith(
      401,
      invalid("wrong audience"),
    );
  });

  it("refuses a bad signature, a token signed by another key, and a tampered payload", async () => {
    const other = token("ES256", claims(), {}, (data) =>
      sign("sha256", Buffer.from(data), { key: otherEc.privateKey, dsaEncoding: "ieee-p1363" }),
    );
    expect((await request({ jwt: JWT }, bearer(other))).http).toRespondWith(401, invalid("invalid signature"));
    const wrongSecret = token("HS256", claims(), {}, (data) => createHmac("sha256", randomBytes(32)).update(data).digest());
    expect((await request({ jwt: JWT }, bearer(wrongSecret))).http).toRespondWith(401, invalid("invalid signature"));
    const [head, , sig] = token("RS256", claims()).split(".");
    const tampered = `${head}.${b64(claims({ sub: "root" }))}.${sig}`;
    expect((await request({ jwt: JWT }, bearer(tampered))).http).toRespondWith(401, invalid("invalid signature"));
    const der = token("ES256", claims(), {}, (data) => sign("sha256", Buffer.from(data), ec.privateKey)); // DER, not r‖s
    expect((await request({ jwt: JWT }, bearer(der))).http).toRespondWith(401, invalid("invalid signature"));
  });

  it("refuses alg none and garbage", async () => {
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.`;
    expect((await request({ jwt: JWT }, bearer(none))).http).toRespondWith(401, invalid("unsupported alg or crit"));
    const crit = token("HS256", claims(), { crit: ["exp"] });
    expect((await request({ jwt: JWT }, bearer(crit))).http).toRespondWith(401, invalid("unsupported alg or crit"));
    for (const garbage of ["abc", "a.b.c", `${b64({ alg: "HS256" })}.!!.x`, "....", `${token("HS256", claims())}.x`]) {
      expect((await request({ jwt: JWT }, bearer(garbage))).http, garbage).toRespondWith(401, invalid("malformed token"));
    }
  });

  it("never lets a token pick a key of another type (RS256 → HS256 with the public key as secret)", async () => {
    const publicJwk = JSON.stringify(jwk(rsa.publicKey, "rs"));
    const confused = token("HS256", claims(), { kid: "rs" }, (data) => createHmac("sha256", publicJwk).update(data).digest());
    expect((await request({ jwt: JWT }, bearer(confused))).http).toRespondWith(401, invalid("unknown key"));
    const esWithRsa = token("ES256", claims(), { kid: "rs" });
    expect((await request({ jwt: JWT }, bearer(esWithRsa))).http).toRespondWith(401, invalid("unknown key"));
    // A key with `alg` verifies that algorithm only.
    const pinned = { ...JWT, jwks: { keys: [{ ...jwk(rsa.publicKey, "rs"), alg: "PS256" }] } };
    expect((await request({ jwt: pinned }, bearer(token("RS256", claims())))).http).toRespondWith(401, invalid("unknown key"));
  });

  it("uses the only fitting key when the token has no kid, and refuses an unknown kid", async () => {
    const noKid = token("ES256", claims(), { kid: undefined });
    expect((await request({ jwt: JWT }, bearer(noKid))).result).toContinue();
    const unknown = token("ES256", claims(), { kid: "old" });
    expect((await request({ jwt: JWT }, bearer(unknown))).http).toRespondWith(401, invalid("unknown key"));
  });

  it("answers 503 when the host has no crypto for weir.verify_signature", async () => {
    const host = await createTestHost({ wasm, config: { jwt: JWT } }); // no `crypto`
    const http = host.http();
    http.requestHeaders({ ":path": "/", ...bearer(token("HS256", claims())) }, { endOfStream: true });
    expect(http).toRespondWith(503, { details: "ext_authz_error" });
  });
});

describe("auth filter: JWKS from a URL", () => {
  const REMOTE = { ...JWT, jwks: undefined, jwksCluster: "idp", jwksPath: "/keys", jwksAuthority: "idp.example", jwksCacheSeconds: 300 };
  const startRemote = () => start({ jwt: REMOTE }, { clusters: ["idp"] });
  const send = (host: Awaited<ReturnType<typeof start>>, t = token("RS256", claims())) => {
    const http = host.http();
    const result = http.requestHeaders({ ":method": "GET", ":path": "/", ...bearer(t) }, { endOfStream: true });
    return { http, result };
  };

  it("pauses the first request, fetches the keys once, and shares them", async () => {
    const host = await startRemote();
    const first = send(host);
    const second = send(host, token("ES256", claims({ sub: "bob" })));
    expect(first.result).toPause();
    expect(second.result).toPause();
    expect(host.httpCalls).toHaveLength(1);
    const [call] = host.httpCalls;
    expect(call.cluster).toBe("idp");
    expect(call.headers).toHaveHeader(":path", "/keys");
    expect(call.headers).toHaveHeader(":authority", "idp.example");

    await call.respond({ status: 200, body: JSON.stringify(JWKS) });
    expect(first.http).toContinue();
    expect(first.http.continues).toEqual(["request"]);
    expect(first.http.request.headers).toHaveHeader("x-user", "alice");
    expect(second.http).toContinue();
    expect(second.http.request.headers).toHaveHeader("x-user", "bob");

    // Cached: the next request goes on at once, without a call.
    expect(send(host).result).toContinue();
    expect(host.httpCalls).toHaveLength(1);
    expect(host.sharedData.keys()).toEqual(["weir.auth.jwks idp.example/keys"]);
  });

  it("fetches again when the cache expires", async () => {
    const host = await startRemote();
    send(host);
    await host.httpCalls[0].respond({ status: 200, body: JSON.stringify(JWKS) });
    host.advance(299_000);
    expect(send(host).result).toContinue();
    host.advance(2_000);
    const after = send(host);
    expect(after.result).toPause();
    expect(host.httpCalls).toHaveLength(2);
    // Rotated: only the EC key is left.
    await host.httpCalls[1].respond({ status: 200, body: JSON.stringify({ keys: [jwk(ec.publicKey, "es")] }) });
    expect(after.http).toRespondWith(401, { details: "ext_authz_denied" }); // its RS256 key is gone
    expect(send(host, token("ES256", claims())).result).toContinue();
  });

  it("answers 503 when the first fetch fails, and retries after 10 s", async () => {
    const host = await startRemote();
    const first = send(host);
    await host.httpCalls[0].respond({ status: 500, body: "down" });
    expect(first.http).toRespondWith(503, { body: "keys unavailable\n", details: "ext_authz_error" });
    expect(host).toHaveLogged("warn", "auth: no JWKS from the fetch, status 500");

    const soon = send(host);
    expect(soon.http).toRespondWith(503); // no new call yet
    expect(host.httpCalls).toHaveLength(1);

    host.advance(10_000);
    const later = send(host);
    expect(later.result).toPause();
    await host.httpCalls[1].fail("connection refused");
    expect(later.http).toRespondWith(503);
  });

  it("times out a fetch that gets no answer", async () => {
    const host = await startRemote();
    const { http } = send(host);
    host.advance(2_000); // jwksTimeoutMs
    await host.settle();
    expect(host.httpCalls[0].state).toBe("timed-out");
    expect(http).toRespondWith(503);
  });

  it("keeps the keys it had when a refresh fails", async () => {
    const host = await startRemote();
    send(host);
    await host.httpCalls[0].respond({ status: 200, body: JSON.stringify(JWKS) });
    host.advance(301_000);
    const during = send(host);
    expect(during.result).toPause();
    await host.httpCalls[1].fail("connection refused");
    expect(during.http).toContinue();
    expect(send(host).result).toContinue();
    expect(host.httpCalls).toHaveLength(2);
  });

  it("uses keys another filter instance stored in shared data", async () => {
    const host = await startRemote();
    const stored = Buffer.alloc(8);
    stored.writeBigInt64LE(BigInt(host.now));
    host.sharedData.set("weir.auth.jwks idp.example/keys", Buffer.concat([stored, Buffer.from(JSON.stringify(JWKS))]));
    expect(send(host).result).toContinue();
    expect(host.httpCalls).toHaveLength(0);
  });

  it("answers 503 when the proxy refuses the call (cluster not allowed)", async () => {
    const host = await start({ jwt: REMOTE }, { clusters: ["billing"] });
    const { http } = send(host);
    expect(http).toRespondWith(503, { details: "ext_authz_error" });
    expect(host).toHaveLogged("warn", '[host] http call to unknown cluster "idp"');
  });
});

describe("auth filter: API keys and peers", () => {
  const KEYS = { apiKeys: { hashes: [sha256("k-123"), sha256("k-456")] } };

  it("lets a listed API key through and refuses a wrong or missing one", async () => {
    expect((await request(KEYS, { "x-api-key": "k-456" })).result).toContinue();
    const wrong = await request(KEYS, { "x-api-key": "k-789" });
    expect(wrong.http).toRespondWith(401, { body: "unknown API key\n", headers: { "www-authenticate": 'ApiKey realm="weir"' } });
    expect((await request(KEYS, {})).http).toRespondWith(401, { body: "no credentials\n", details: "ext_authz_denied" });
  });

  it("reads the key from the configured header", async () => {
    const config = { apiKeys: { header: "x-token", hashes: [sha256("k-123")] } };
    expect((await request(config, { "x-token": "k-123" })).result).toContinue();
    expect((await request(config, { "x-api-key": "k-123" })).http).toRespondWith(401);
  });

  const PEERS = { allowedPeers: ["spiffe://cluster.local/ns/default/sa/web"] };
  const fromPeer = async (config: object, peer?: string) => {
    const host = await start(config);
    const http = host.http(peer === undefined ? {} : { properties: { "weir.peer_identity": peer } });
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    return http;
  };

  it("lets an allowed SPIFFE ID through and refuses others with 403", async () => {
    expect(await fromPeer(PEERS, "spiffe://cluster.local/ns/default/sa/web")).toContinue();
    expect(await fromPeer(PEERS, "spiffe://cluster.local/ns/default/sa/batch")).toRespondWith(403, { body: "peer not allowed\n" });
    expect(await fromPeer(PEERS)).toRespondWith(403, { body: "no peer identity\n" });
    expect(await fromPeer({ allowedPeers: ["*"] }, "spiffe://other.domain/x")).toContinue();
  });

  it("accepts any of several methods and challenges for each", async () => {
    const config = { jwt: JWT, ...KEYS, require: ["jwt", "apiKey"] };
    expect((await request(config, { "x-api-key": "k-123" })).result).toContinue();
    expect((await request(config, bearer(token("ES256", claims())))).result).toContinue();
    const { http } = await request(config, {});
    expect(http.localResponse?.headers.getAll("www-authenticate")).toEqual(['Bearer realm="weir"', 'ApiKey realm="weir"']);
  });
});

describe("auth filter: rules", () => {
  const CONFIG = {
    jwt: JWT,
    apiKeys: { hashes: [sha256("k-123")] },
    allowedPeers: ["spiffe://cluster.local/ns/default/sa/web"],
    require: ["jwt", "apiKey"],
    rules: [
      { prefix: "/public", require: "none" },
      { prefix: "/admin", require: ["jwt"], claims: { role: ["admin", "owner"] } },
      { prefix: "/orders/write", require: "jwt", claims: { scope: "orders:write" } },
      { prefix: "/internal", require: "peer" },
    ],
  };

  it("lets public paths through without credentials", async () => {
    expect((await request(CONFIG, {}, "/public/logo.png")).result).toContinue();
    expect((await request(CONFIG, {}, "/publicity")).result).toContinue(); // a prefix, as the router matches
    expect((await request(CONFIG, {}, "/api")).http).toRespondWith(401);
  });

  it("answers 403 insufficient_scope for a valid token without the required claims", async () => {
    const user = await request(CONFIG, bearer(token("HS256", claims({ role: "user" }))), "/admin/users");
    expect(user.http).toRespondWith(403, {
      headers: { "www-authenticate": 'Bearer realm="weir", error="insufficient_scope", error_description="insufficient claims"' },
      details: "ext_authz_denied",
    });
    expect((await request(CONFIG, bearer(token("HS256", claims({ role: "owner" }))), "/admin/users")).result).toContinue();
    expect((await request(CONFIG, bearer(token("HS256", claims({ role: ["user", "admin"] }))), "/admin")).result).toContinue();
    expect((await request(CONFIG, { "x-api-key": "k-123" }, "/admin")).http).toRespondWith(401); // JWT only here
  });

  it("matches space-separated scopes", async () => {
    const t = (scope: string) => bearer(token("RS256", claims({ scope })));
    expect((await request(CONFIG, t("orders:read orders:write"), "/orders/write")).result).toContinue();
    expect((await request(CONFIG, t("orders:read orders:writer"), "/orders/write")).http).toRespondWith(403);
  });

  it("requires a peer identity where the rule says so", async () => {
    const host = await start(CONFIG);
    const http = host.http({ properties: { "weir.peer_identity": "spiffe://cluster.local/ns/default/sa/web" } });
    expect(http.requestHeaders({ ":path": "/internal/metrics" }, { endOfStream: true })).toContinue();
    expect((await request(CONFIG, { "x-api-key": "k-123" }, "/internal/metrics")).http).toRespondWith(403);
  });

  it("refuses paths a server behind could resolve under another rule", async () => {
    for (const path of ["/public/../admin", "/public/%2e%2E/admin", "/public/.", "/public\\..\\admin", "/public/%5c"]) {
      expect((await request(CONFIG, {}, path)).http, path).toRespondWith(400, { details: "ext_authz_denied" });
    }
    expect((await request(CONFIG, {}, "/public/a..b/.c?x=/../y")).result).toContinue();
  });

  it("removes claim headers a client sent, whatever lets the request through", async () => {
    const spoofed = { "x-user": "mallory", "x-user-email": "mallory@example.com" };
    const open = await request(CONFIG, spoofed, "/public");
    expect(open.http.request.headers).not.toHaveHeader("x-user");
    expect(open.http.request.headers).not.toHaveHeader("x-user-email");
    const key = await request(CONFIG, { ...spoofed, "x-api-key": "k-123" });
    expect(key.http.request.headers).not.toHaveHeader("x-user");
    const jwt = await request(CONFIG, { ...spoofed, ...bearer(token("HS256", { ...claims(), email: undefined })) });
    expect(jwt.http.request.headers).toHaveHeader("x-user", "alice");
    expect(jwt.http.request.headers).not.toHaveHeader("x-user-email");
  });
});

describe("auth filter: SHA-256 of API keys", () => {
  // FIPS 180-2 appendix B and the usual pangram.
  const VECTORS: [string, string][] = [
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
    ["The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"],
  ];

  it("matches the standard vectors", async () => {
    const host = await start({ apiKeys: { hashes: VECTORS.map(([, hex]) => `sha256:${hex.toUpperCase()}`) } });
    for (const [message] of VECTORS) {
      expect(host.http().requestHeaders({ ":path": "/", "x-api-key": message }, { endOfStream: true }), message).toContinue();
      const off = host.http();
      off.requestHeaders({ ":path": "/", "x-api-key": `${message}.` }, { endOfStream: true });
      expect(off).toRespondWith(401);
    }
  });

  it("agrees with node:crypto across every padding boundary (1 to 200 bytes, multi-byte UTF-8)", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => "ключ-".repeat(20).slice(0, Math.ceil((i + 1) / 2)) + "k".repeat((i + 1) >> 1));
    const host = await start({ apiKeys: { hashes: keys.map(sha256) } });
    for (const key of keys) expect(host.http().requestHeaders({ ":path": "/", "x-api-key": key }, { endOfStream: true }), key).toContinue();
  });
});

describe("auth filter: configuration", () => {
  const problems = async (config: object) => {
    const error = await start(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilterLoadError);
    return (error as FilterLoadError).logs.join("\n");
  };

  it("names the fields it cannot use", async () => {
    expect(await problems({ jwt: { ...JWT, isuer: "x" } })).toContain('config: field "jwt.isuer" is unknown');
    expect(await problems({})).toContain('config: field "jwt" (or apiKeys, allowedPeers) is required');
    expect(await problems({ apiKeys: { hashes: ["md5:abc"] } })).toContain(
      'config: field "apiKeys.hashes" must hold "sha256:<64 hex digits>"',
    );
    expect(await problems({ jwt: { ...JWT, jwks: { keys: [{ kty: "oct", k: "c2hvcnQ" }] } } })).toContain(
      'config: field "jwt.jwks" must hold usable signing keys',
    );
    expect(await problems({ jwt: { ...JWT, jwksCluster: "idp" } })).toContain('config: field "jwt.jwks" or jwksCluster: exactly one');
    expect(await problems({ jwt: JWT, rules: [{ prefix: "admin", require: "jwt" }] })).toContain(
      'config: field "rules[0].prefix" must start with /',
    );
    const shadowed = {
      jwt: JWT,
      rules: [
        { prefix: "/", require: "none" },
        { prefix: "/admin", require: "jwt" },
      ],
    };
    expect(await problems(shadowed)).toContain('config: field "rules[1].prefix" is shadowed by an earlier rule');
    expect(await problems({ jwt: JWT, rules: [{ prefix: "/a", require: "apiKey" }] })).toContain(
      'config: field "rules[0].require" must be "none" or configured methods',
    );
    expect(await problems({ jwt: { ...JWT, forwardClaims: { sub: "X-User" } } })).toContain(
      'config: field "jwt.forwardClaims.sub" must be a lower-case header name',
    );
  });

  it("refuses claims on a rule that credentials without claims also pass", async () => {
    const config = {
      jwt: JWT,
      apiKeys: { hashes: [sha256("k")] },
      rules: [{ prefix: "/a", require: ["jwt", "apiKey"], claims: { role: "x" } }],
    };
    expect(await problems(config)).toContain('config: field "rules[0].claims" needs "require": ["jwt"] alone');
  });
});
