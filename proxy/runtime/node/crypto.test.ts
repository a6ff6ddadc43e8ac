import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { builtinForeignFunctions } from "../../abi/extensions.ts";
import { encodePairs } from "../../abi/pairs.ts";
import { nodeCrypto } from "./crypto.ts";

const verify = builtinForeignFunctions(nodeCrypto).get("weir.verify_signature") as NonNullable<
  ReturnType<ReturnType<typeof builtinForeignFunctions>["get"]>
>;
const call = (args: Uint8Array) => verify(args, { filter: "t", stream: undefined }) as Uint8Array;

/** The pairs encoding with byte values (encodePairs takes strings). */
function rawPairs(entries: [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map(([k]) => enc.encode(k));
  const size = 4 + entries.reduce((n, [, v], i) => n + 10 + names[i].byteLength + v.byteLength, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, entries.length, true);
  let data = 4 + entries.length * 8;
  entries.forEach(([, value], i) => {
    view.setUint32(4 + i * 8, names[i].byteLength, true);
    view.setUint32(8 + i * 8, value.byteLength, true);
    out.set(names[i], data);
    data += names[i].byteLength + 1;
    out.set(value, data);
    data += value.byteLength + 1;
  });
  return out;
}

describe("weir.verify_signature with node:crypto", () => {
  it("regression: a binary HMAC secret and a raw signature are not mangled by UTF-8 decoding", () => {
    const secret = Uint8Array.from([0xff, 0x80, 0x00, 0x7f, 0xc3, 0x28, 0x01]);
    const data = new TextEncoder().encode("header.payload");
    const mac = new Uint8Array(createHmac("sha256", secret).update(data).digest());
    const args = (sig: Uint8Array) =>
      rawPairs([
        ["alg", new TextEncoder().encode("HS256")],
        ["key", secret],
        ["data", data],
        ["signature", sig],
        ["signature_encoding", new TextEncoder().encode("raw")],
      ]);
    expect(call(args(mac))).toEqual(Uint8Array.of(1));
    const tampered = mac.slice();
    tampered[0] ^= 1;
    expect(call(args(tampered))).toEqual(Uint8Array.of(0));
  });

  it("verifies ES256 (JWS r||s) with a JWK and rejects an unusable key as a TypeError (BAD_ARGUMENT)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signature = sign("sha256", Buffer.from("a.b"), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
    const jwk = JSON.stringify(publicKey.export({ format: "jwk" }));
    expect(
      call(
        encodePairs([
          ["alg", "ES256"],
          ["key", jwk],
          ["data", "a.b"],
          ["signature", signature],
        ]),
      ),
    ).toEqual(Uint8Array.of(1));
    expect(() =>
      call(
        encodePairs([
          ["alg", "ES256"],
          ["key", "not a key"],
          ["data", "a.b"],
          ["signature", signature],
        ]),
      ),
    ).toThrow(TypeError);
  });
});
