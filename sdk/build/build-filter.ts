/**
 * `weir build`: compiles a filter project with weir's SDK settings, checks the module against
 * what the host provides (the same validation a proxy runs at load), and writes the `.wasm`
 * with a manifest — name, version, ABI, sha256, size, config JSON schema and the capabilities
 * it needs — the way Extism's and Kong's manifests describe a plugin.
 */

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { sha256Hex } from "../../proxy/abi/meter.ts";
import { validateFilterModule } from "../../proxy/abi/validate.ts";
import { buildAssemblyScriptWithInfo } from "./assemblyscript.ts";
import { WEIR_ROOT } from "./weir-root.ts";

/** The `weir` section of a filter project's package.json. */
export interface FilterProjectSettings {
  /** AssemblyScript entry (default `assembly/index.ts`). */
  entry?: string;
  /** JSON schema of the plugin configuration (default `config.schema.json` when present). */
  configSchema?: string;
  /** What the filter needs from the proxy. */
  capabilities?: { clusters?: string[]; foreignFunctions?: string[] };
}

/** What `weir build` writes beside the module. */
export interface FilterManifest {
  name: string;
  version: string;
  abi: string;
  sha256: string;
  size: number;
  sdk: string;
  configSchema: unknown;
  capabilities: {
    clusters: string[];
    foreignFunctions: string[];
    httpCalls: boolean;
    sharedData: boolean;
    queues: boolean;
    timers: boolean;
  };
}

export interface BuildFilterResult {
  wasmPath: string;
  manifestPath: string;
  manifest: FilterManifest;
  cached: boolean;
  warnings: string[];
}

/** An error that already says everything (compiler output, validation problems). */
export class BuildError extends Error {}

/** The file name a package name builds to: `@acme/rate-limit` → `rate-limit`. */
export function artifactName(packageName: string): string {
  return basename(packageName.replace(/^@[^/]+\//, "")).replace(/[^a-zA-Z0-9._-]/g, "-");
}

export async function buildFilterProject(dir: string): Promise<BuildFilterResult> {
  const root = resolve(dir);
  let pkg: { name?: string; version?: string; weir?: FilterProjectSettings };
  try {
    pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  } catch (err) {
    throw new BuildError(`weir build: cannot read ${join(root, "package.json")}: ${(err as Error).message}`);
  }
  if (!pkg.name) throw new BuildError(`weir build: ${join(root, "package.json")} has no "name"`);
  const settings = pkg.weir ?? {};
  const entry = join(root, settings.entry ?? "assembly/index.ts");
  let build: Awaited<ReturnType<typeof buildAssemblyScriptWithInfo>>;
  try {
    build = await buildAssemblyScriptWithInfo({
      entry,
      compiler: "0.28",
      asconfig: join(WEIR_ROOT, "sdk", "assembly", "asconfig.json"),
      // The compile step passes -O3, which resets the asconfig's shrink level.
      extraArgs: ["--shrinkLevel", "1"],
      // The SDK is compiled into the filter: a change to it must not hit a stale cache entry.
      inputs: [join(WEIR_ROOT, "sdk", "assembly")],
    });
  } catch (err) {
    throw new BuildError((err as Error).message);
  }
  let abi: string;
  let imports: string[];
  try {
    const validated = validateFilterModule(pkg.name, build.bytes, 65536);
    abi = validated.abi;
    imports = validated.info.imports.map((i) => i.name);
  } catch (err) {
    throw new BuildError(`weir build: the module would not load in weir:\n${(err as Error).message}`);
  }
  const warnings: string[] = [];
  const declared = { clusters: settings.capabilities?.clusters ?? [], foreignFunctions: settings.capabilities?.foreignFunctions ?? [] };
  const httpCalls = imports.includes("proxy_http_call");
  if (httpCalls && declared.clusters.length === 0) {
    warnings.push(
      'the filter makes http calls but package.json "weir.capabilities.clusters" lists none: a proxy enforcing capabilities will refuse them',
    );
  }
  if (imports.includes("proxy_call_foreign_function") && declared.foreignFunctions.length === 0) {
    warnings.push('the filter calls foreign functions but "weir.capabilities.foreignFunctions" lists none');
  }
  const schemaFile = settings.configSchema ?? "config.schema.json";
  let configSchema: unknown = null;
  try {
    configSchema = JSON.parse(await readFile(join(root, schemaFile), "utf8"));
  } catch (err) {
    if (settings.configSchema !== undefined)
      throw new BuildError(`weir build: cannot read the config schema ${schemaFile}: ${(err as Error).message}`);
  }
  const weirVersion = (JSON.parse(await readFile(join(WEIR_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const manifest: FilterManifest = {
    name: pkg.name,
    version: pkg.version ?? "0.0.0",
    abi,
    sha256: await sha256Hex(build.bytes),
    size: build.bytes.byteLength,
    sdk: `weir-assemblyscript@${weirVersion}`,
    configSchema,
    capabilities: {
      clusters: declared.clusters,
      foreignFunctions: declared.foreignFunctions,
      httpCalls,
      sharedData: imports.includes("proxy_set_shared_data"),
      queues: imports.includes("proxy_register_shared_queue") || imports.includes("proxy_enqueue_shared_queue"),
      timers: imports.includes("proxy_set_tick_period_milliseconds"),
    },
  };
  const out = join(root, "build");
  await mkdir(out, { recursive: true });
  const name = artifactName(pkg.name);
  const wasmPath = join(out, `${name}.wasm`);
  const manifestPath = join(out, `${name}.manifest.json`);
  await writeFile(wasmPath, build.bytes);
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { wasmPath, manifestPath, manifest, cached: build.cached, warnings };
}
