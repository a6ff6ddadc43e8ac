/**
 * The files `weir init` writes: a filter that adds a configurable header, its config schema,
 * a vitest test through weir/testing, and a README. Kept as plain strings so what a newcomer
 * gets is readable here in one place.
 */

export function templates(name: string, weirSpec: string): Record<string, string> {
  const artifact = name.replace(/^@[^/]+\//, "");
  return {
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        type: "module",
        scripts: { build: "weir build", test: "vitest run" },
        devDependencies: { assemblyscript: "0.28.20", vitest: "4.1.12", weir: weirSpec },
        weir: {
          entry: "assembly/index.ts",
          configSchema: "config.schema.json",
          capabilities: { clusters: [], foreignFunctions: [] },
        },
      },
      null,
      2,
    )}\n`,
    "asconfig.json": `${JSON.stringify({ extends: "./node_modules/weir/sdk/assembly/asconfig.json" }, null, 2)}\n`,
    "assembly/tsconfig.json": `${JSON.stringify({ extends: "assemblyscript/std/assembly.json", include: ["./**/*.ts"] }, null, 2)}\n`,
    "assembly/index.ts": `// ${name}: adds a header to every request and response.
// Configuration (JSON): { "header": "x-hello", "value": "weir" }
export * from "weir/sdk/assembly/exports";
import { Action, Config, HttpContext, RootContext, registerFilter } from "weir/sdk/assembly";

class Hello extends RootContext {
  header: string = "x-hello";
  value: string = "weir";

  onConfigure(config: Config): bool {
    config.allowOnly(["header", "value"]);
    this.header = config.getString("header", "x-hello");
    this.value = config.getString("value", "weir");
    return true; // a problem recorded by a getter above still rejects the configuration
  }

  createHttpContext(id: u32): HttpContext | null {
    return new HelloStream(id, this);
  }
}

class HelloStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as Hello;
    this.requestHeaders.set(root.header, root.value);
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as Hello;
    this.responseHeaders.set(root.header, root.value);
    return Action.Continue;
  }
}

registerFilter((id: u32): RootContext => new Hello(id));
`,
    "config.schema.json": `${JSON.stringify(
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: `${name} configuration`,
        type: "object",
        additionalProperties: false,
        properties: {
          header: { type: "string", default: "x-hello", description: "Header to add to requests and responses." },
          value: { type: "string", default: "weir", description: "Its value." },
        },
      },
      null,
      2,
    )}\n`,
    "test/filter.test.ts": `import { describe, expect, it } from "vitest";
import { createTestHost } from "weir/testing";
import "weir/testing/matchers";

const wasmPath = new URL("../build/${artifact}.wasm", import.meta.url);

describe("${name}", () => {
  it("adds the configured header to the request and the response", async () => {
    const host = await createTestHost({ wasmPath, config: { header: "x-team", value: "payments" } });
    const http = host.http();
    expect(http.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "app" }, { endOfStream: true })).toContinue();
    expect(http.request.headers).toHaveHeader("x-team", "payments");
    expect(http.responseHeaders({ ":status": "200" }, { endOfStream: true })).toContinue();
    expect(http.response.headers).toHaveHeader("x-team", "payments");
    http.complete();
  });

  it("rejects a configuration with an unknown field", async () => {
    await expect(createTestHost({ wasmPath, config: { header: "x-a", valeu: "typo" } })).rejects.toThrow(/valeu/);
  });
});
`,
    "README.md": `# ${name}

A proxy-wasm filter for [weir](https://www.npmjs.com/package/weir), written in AssemblyScript.

\`\`\`sh
npm install
npx weir build      # → build/${artifact}.wasm and build/${artifact}.manifest.json
npx vitest run      # tests run the built filter in weir's real host
\`\`\`

The filter adds a header to every request and response. Configuration:

| field | default | meaning |
|---|---|---|
| \`header\` | \`x-hello\` | header name |
| \`value\` | \`weir\` | header value |

Use it in a proxy's \`weir.yaml\`:

\`\`\`yaml
filters:
  - name: ${artifact}
    source: { file: ./build/${artifact}.wasm }
    config: { header: x-team, value: payments }
\`\`\`
`,
    ".gitignore": "node_modules/\nbuild/\nvendor/\n",
  };
}
