import { describe, expect, it } from "vitest";
import { createAccessLogger, createMemorySink } from "./logger.ts";
import { createAccessLogRecord } from "./record.ts";

const record = () =>
  createAccessLogRecord({
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    method: "GET",
    path: "/x",
    protocol: "HTTP/1.1",
    responseCode: 200,
  });

describe("createAccessLogger", () => {
  it("writes one text line per request in Envoy's default format", () => {
    const sink = createMemorySink();
    createAccessLogger({ format: "text", sink }).log(record());
    expect(sink.lines).toEqual(['[2024-01-02T03:04:05.006Z] "GET /x HTTP/1.1" 200 - 0 0 0 - "-" "-" "-" "-" "-"\n']);
  });

  it("writes JSON lines", () => {
    const sink = createMemorySink();
    const logger = createAccessLogger({ format: "json", sink });
    logger.log(record());
    logger.log(record());
    expect(sink.lines).toHaveLength(2);
    expect(JSON.parse(sink.lines[0])).toMatchObject({ method: "GET", path: "/x", response_code: 200 });
  });

  it("takes a custom text format, and rejects a bad one when created", () => {
    const sink = createMemorySink();
    createAccessLogger({ format: "text", textFormat: "%REQ(:METHOD)% %RESPONSE_CODE%\n", sink }).log(record());
    expect(sink.lines).toEqual(["GET 200\n"]);
    expect(() => createAccessLogger({ format: "text", textFormat: "%BOGUS%", sink })).toThrow(/%BOGUS%/);
  });

  it("writes nothing when off", () => {
    const sink = createMemorySink();
    createAccessLogger({ format: "off", sink }).log(record());
    expect(sink.lines).toEqual([]);
  });

  it("never throws into the request when the sink fails", () => {
    const errors: unknown[] = [];
    const logger = createAccessLogger({
      format: "json",
      sink: {
        write() {
          throw new Error("disk full");
        },
      },
      onError: (e) => errors.push(e),
    });
    expect(() => logger.log(record())).not.toThrow();
    expect(String(errors[0])).toContain("disk full");
  });
});
