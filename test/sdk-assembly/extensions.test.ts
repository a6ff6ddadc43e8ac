/**
 * weir's extensions as EXTENSIONS.md specifies them — `weir.upstream_cluster`, `weir.attempt`,
 * `weir.peer_identity`, `weir.retry`, `weir.verify_signature` — and the typed attribute helpers.
 */

import { describe, expect, it } from "vitest";
import { createHost, HeaderMap, type HostCrypto, type PropertyValue } from "../../proxy/abi/index.ts";
import { buildSdkFilter, text } from "./support.ts";

const CONNECTION: Record<string, PropertyValue> = {
  "source.address": "10.0.0.7:5555",
  "source.port": 5555,
  "connection.mtls": true,
  "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/default/sa/web",
};

const crypto: HostCrypto = {
  verify: (alg, key, data, signature) =>
    alg === "HS256" && text(key) === "secret" && text(data) === "header.payload" && text(signature) === "sig",
};

async function setup(options: { crypto?: HostCrypto; retry?: boolean } = {}) {
  const host = createHost({ logger: () => {}, crypto: options.crypto });
  const filter = await host.loadFilter({ name: "extensions", module: await buildSdkFilter("extensions") });
  const clusters: string[] = [];
  const retries: (number | undefined)[] = [];
  const stream = filter.createStream(
    {
      setUpstreamCluster: (c) => clusters.push(c),
      requestRetry: (delay) => retries.push(delay) > 0 && (options.retry ?? true),
    },
    { property: (path) => CONNECTION[path.join(".")] },
  );
  return { stream, clusters, retries };
}

describe("sdk weir extensions", () => {
  it("sets the upstream cluster, reads the attempt, the peer identity and the attributes", async () => {
    const { stream, clusters } = await setup();
    const request = new HeaderMap({
      ":method": "GET",
      ":scheme": "https",
      ":authority": "app",
      ":path": "/items?x=1",
      "x-request-id": "r1",
      "x-cluster": "canary",
    });
    stream.onRequestHeaders(request, true);
    expect(clusters).toEqual(["canary"]);
    expect(request.get("x-cluster-set")).toBe("yes");
    expect(request.get("x-cluster-now")).toBe("canary");
    expect(request.get("x-attempt")).toBe("1");
    expect(request.get("x-peer")).toBe("spiffe://cluster.local/ns/default/sa/web");
    expect(request.get("x-attributes")).toBe("GET https://app/items?x=1 id=r1");
    expect(request.get("x-connection")).toBe("10.0.0.7:5555 port=5555 mtls=true");
    expect(request.get("x-plugin")).toBe("extensions");
  });

  it("asks for a retry through weir.retry (host backoff, or a u32le delay) and hears the answer", async () => {
    for (const [headers, retry, delay, answer] of [
      [{}, true, undefined, "accepted"],
      [{ "x-retry-later": "1" }, true, 250, "accepted"],
      [{}, false, undefined, "refused"],
    ] as const) {
      const { stream, retries } = await setup({ retry });
      stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
      const response = new HeaderMap({ ":status": "503", ...headers });
      stream.onResponseHeaders(response, true);
      expect(retries).toEqual([delay]);
      expect(response.get("x-retry")).toBe(answer);
    }
  });

  it("verifies a signature with the host's crypto through weir.verify_signature", async () => {
    const { stream } = await setup({ crypto });
    const valid = new HeaderMap({ ":path": "/", "x-signed": "header.payload.c2ln" }); // base64url("sig")
    stream.onRequestHeaders(valid, true);
    expect(valid.get("x-signature")).toBe("valid");
    const other = await setup({ crypto });
    const invalid = new HeaderMap({ ":path": "/", "x-signed": "header.payload.b3RoZXI" });
    other.stream.onRequestHeaders(invalid, true);
    expect(invalid.get("x-signature")).toBe("invalid");
  });

  it("answers 'unavailable' when the host has no crypto", async () => {
    const { stream } = await setup();
    const request = new HeaderMap({ ":path": "/", "x-signed": "header.payload.c2ln" });
    stream.onRequestHeaders(request, true);
    expect(request.get("x-signature")).toBe("unavailable");
  });
});
