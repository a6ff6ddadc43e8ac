/**
 * HTTP/2 rapid reset (CVE-2023-44487), over a real h2c connection: a client that opens streams
 * and cancels each at once gets its connection closed past the listener's reset budget, and
 * meanwhile everyone else — HTTP/1.1 and HTTP/2 on other connections — keeps being served.
 */

import { connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalRequest, type ProxyUnderTest, startProxy, startUpstream, type Upstream } from "./support.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME = { HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
/** HPACK: :method GET, :scheme http (static 2, 6), :path "/rr" and :authority "app" (literals, not indexed). */
const GET_RR = Buffer.from([0x82, 0x86, 0x04, 0x03, ...Buffer.from("/rr"), 0x01, 0x03, ...Buffer.from("app")]);
const CANCEL = Buffer.from([0, 0, 0, 8]);

/** One HTTP/2 frame (RFC 9113 §4.1). */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** The error codes of the GOAWAY frames in what the server sent (after its SETTINGS). */
function goawayCodes(bytes: Buffer): number[] {
  const codes: number[] = [];
  for (let off = 0; off + 9 <= bytes.length; off += 9 + bytes.readUIntBE(off, 3)) {
    if (bytes[off + 3] === FRAME.GOAWAY && off + 17 <= bytes.length) codes.push(bytes.readUInt32BE(off + 13));
  }
  return codes;
}

let upstream: Upstream;
let proxy: ProxyUnderTest;

beforeAll(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(upstream.port, { plainProtocol: "auto", headersTimeoutMs: 10_000 });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

/** One h2c GET on its own connection. */
async function h2Get(port: number, path: string): Promise<{ status: number; body: string }> {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ":method": "GET", ":path": path, ":authority": "app" });
      let status = 0;
      let body = "";
      req.on("response", (h) => {
        status = Number(h[":status"]);
      });
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => resolve({ status, body }));
      req.on("error", reject);
      req.end();
    });
  } finally {
    session.close();
  }
}

describe("HTTP/2 rapid reset", () => {
  it("h2c is served on the listener", async () => {
    expect(await h2Get(proxy.plainPort, "/h2")).toEqual({ status: 200, body: "app saw GET /h2 0" });
  });

  it("a connection opening and cancelling streams in a flood is closed; others keep being served", async () => {
    const sock = netConnect(proxy.plainPort, "127.0.0.1");
    const received: Buffer[] = [];
    let closed = false;
    sock.on("data", (d: Buffer) => received.push(d));
    sock.on("error", () => {});
    const gone = new Promise<void>((resolve) =>
      sock.once("close", () => {
        closed = true;
        resolve();
      }),
    );
    await new Promise((r) => sock.once("connect", r));
    sock.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))]));

    // HEADERS (GET /rr, END_STREAM) then RST_STREAM (CANCEL) on the same stream, 100 pairs a
    // write, every 5 ms: ~20,000 resets a second against a budget of 200. Bounded at 5000.
    const others = Promise.all(Array.from({ length: 10 }, (_, i) => normalRequest(proxy.plainPort, { path: `/during-rr-${i}` })));
    let id = 1;
    let pairs = 0;
    while (!closed && pairs < 5000) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 100; i++, id += 2, pairs++)
        batch.push(frame(FRAME.HEADERS, 0x5, id, GET_RR), frame(FRAME.RST_STREAM, 0, id, CANCEL));
      sock.write(Buffer.concat(batch));
      await new Promise((r) => setTimeout(r, 5));
    }
    const outcome = await Promise.race([gone.then(() => "closed"), new Promise((r) => setTimeout(() => r("still open"), 3000))]);
    sock.destroy();
    expect(outcome).toBe("closed");
    expect(pairs).toBeLessThan(5000); // closed past the budget, long before the flood ran out
    // Told (a GOAWAY), not just dropped. Its code is ENHANCE_YOUR_CALM or NO_ERROR, depending on
    // whether nghttp2 flushes weir's GOAWAY or its own on the way out.
    expect(goawayCodes(Buffer.concat(received)).length).toBeGreaterThanOrEqual(1);
    // The cancelled streams cost the app (almost) nothing.
    expect(upstream.seen.filter((s) => s.url === "/rr").length).toBeLessThan(pairs / 10);

    // Everyone else: HTTP/1.1 during the flood, a new HTTP/2 connection after it.
    for (const res of await others) expect(res.status).toBe(200);
    expect(await h2Get(proxy.plainPort, "/after-flood")).toEqual({ status: 200, body: "app saw GET /after-flood 0" });
  });

  it("HTTP/2 requests the core refuses get the same 4xx and DPE as over HTTP/1.1", async () => {
    const session = connect(`http://127.0.0.1:${proxy.plainPort}`);
    session.on("error", () => {});
    const ask = (headers: Record<string, string>) =>
      new Promise<{ status: number; flags: string | undefined; connection: string | undefined }>((resolve, reject) => {
        const req = session.request({ ":method": "GET", ...headers });
        req.on("response", (h) =>
          resolve({
            status: Number(h[":status"]),
            flags: h["x-weir-response-flags"] as string | undefined,
            connection: h.connection as string | undefined,
          }),
        );
        req.on("error", reject);
        req.resume();
        req.end();
      });
    try {
      expect(await ask({ ":path": `/${"u".repeat(9000)}`, ":authority": "app" })).toEqual({
        status: 414,
        flags: "DPE",
        connection: undefined,
      });
      const many: Record<string, string> = { ":path": "/many", ":authority": "app" };
      for (let i = 0; i < 101; i++) many[`x-h${i}`] = "v";
      expect(await ask(many)).toMatchObject({ status: 431, flags: "DPE" });
      // nghttp2 checks :authority itself: a malformed one is a stream error (RFC 9113 §8.1.1), not a 400.
      await expect(ask({ ":path": "/bad-authority", ":authority": "bad host" })).rejects.toThrow(/NGHTTP2_PROTOCOL_ERROR/);
      // The connection survives a refused stream: the next request on it is served.
      expect(await ask({ ":path": "/fine", ":authority": "app" })).toMatchObject({ status: 200 });
    } finally {
      session.close();
    }
  });
});
