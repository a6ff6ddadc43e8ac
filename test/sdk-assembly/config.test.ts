/**
 * Plugin configuration as JSON: typed getters with defaults, nested objects, and a bad
 * configuration failing the load with a message that names the field (reported by the host
 * as a `FilterLoadError` carrying the filter's log).
 */

import { describe, expect, it } from "vitest";
import { FilterLoadError, HeaderMap } from "../../proxy/abi/index.ts";
import { buildSdkFilter, loadSdkFilter, testHost } from "./support.ts";

async function summary(config: string): Promise<string | undefined> {
  const { filter } = await loadSdkFilter("config", { config });
  const stream = filter.createStream();
  const request = new HeaderMap({ ":path": "/" });
  stream.onRequestHeaders(request, true);
  stream.complete();
  return request.get("x-config");
}

async function loadError(config: string): Promise<FilterLoadError> {
  const { host } = testHost();
  const error = await host.loadFilter({ name: "config", module: await buildSdkFilter("config"), config }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FilterLoadError);
  return error as FilterLoadError;
}

describe("sdk config", () => {
  it("reads every field type, nested objects included", async () => {
    const config = JSON.stringify({
      header: "x-a",
      limit: 10,
      ratio: 0.5,
      enabled: true,
      tags: ["a", "b"],
      upstream: { cluster: "auth", timeout_ms: 250 },
    });
    expect(await summary(config)).toBe("x-a 10 0.5 on [a|b] auth 250");
  });

  it("uses the defaults for absent and null fields, and reads an empty config as {}", async () => {
    expect(await summary('{"limit": 3, "header": null}')).toBe("x-default 3 1.0 off [] none 0");
    await expect(loadError("")).resolves.toMatchObject({ logs: ['config: field "limit" is required'] });
  });

  it("leaves a config alone that the filter only reads as text", async () => {
    expect(await summary("raw: not json")).toBe("raw: not json");
  });

  it('fails the load with `config: field "limit" must be an integer, got "abc"`', async () => {
    const error = await loadError('{"limit": "abc"}');
    expect(error.message).toContain('config: field "limit" must be an integer, got "abc"');
    expect(error.message).toContain("proxy_on_configure returned false");
  });

  it("records every problem, not only the first, naming nested fields by their path", async () => {
    const error = await loadError('{"limit": 0, "ratio": "x", "tags": ["a", 2], "upstream": {"timeout_ms": -5}, "limt": 1}');
    expect(error.logs).toEqual([
      'config: field "limt" is not a known field (known: header, limit, ratio, enabled, tags, upstream)',
      'config: field "limit" must be between 1 and 1000, got 0',
      'config: field "ratio" must be a number, got "x"',
      'config: field "tags[1]" must be a string, got 2',
      'config: field "upstream.cluster" is required',
      'config: field "upstream.timeout_ms" must be between 0 and 60000, got -5',
    ]);
  });

  it("rejects invalid JSON with the position of the problem", async () => {
    const error = await loadError('{\n  "limit": 1,\n}');
    expect(error.logs).toEqual(["config: invalid JSON at line 3, column 1: expected a string key, got '}'"]);
  });

  it("rejects JSON that is not an object", async () => {
    const error = await loadError("[1, 2]");
    expect(error.logs[0]).toBe("config: must be a JSON object, got [1, 2]");
  });
});
