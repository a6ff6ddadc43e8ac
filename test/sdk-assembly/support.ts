/**
 * Builds the SDK's test filters (`test/sdk-assembly/filters/<name>/assembly/index.ts`) with the
 * SDK's recommended flags and loads them into a real host.
 *
 * The build cache keys on the filter's own directory only, so the SDK's sources are hashed
 * here and passed as a harmless `--use WEIR_SDK_DIGEST=<n>` constant: editing the SDK rebuilds.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHost, type Filter, type HostOptions, type LogEntry } from "../../proxy/abi/index.ts";
import { buildAssemblyScript } from "../../sdk/build/assemblyscript.ts";

/** Absolute path of the repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The SDK's source directory. */
export const SDK_DIR: string = join(REPO_ROOT, "sdk", "assembly");
/** The SDK's recommended compiler options (runtime, abort handler, optimization). */
export const SDK_ASCONFIG: string = join(SDK_DIR, "asconfig.json");

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

let digest: string | undefined;
/** A 9-digit number derived from every SDK source file. */
export function sdkDigest(): string {
  if (digest === undefined) {
    const hash = createHash("sha256");
    for (const file of files(SDK_DIR)) hash.update(file).update(readFileSync(file));
    digest = String(Number.parseInt(hash.digest("hex").slice(0, 7), 16));
  }
  return digest;
}

/** Compiler arguments for a filter built with the SDK (beyond the build tool's `-O3`). */
export function sdkBuildArgs(): string[] {
  return ["--shrinkLevel", "1", "--use", `WEIR_SDK_DIGEST=${sdkDigest()}`];
}

/** Builds `test/sdk-assembly/filters/<name>`. */
export function buildSdkFilter(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return buildAssemblyScript({
    entry: join(REPO_ROOT, "test", "sdk-assembly", "filters", name, "assembly", "index.ts"),
    compiler: "0.28",
    asconfig: SDK_ASCONFIG,
    extraArgs: sdkBuildArgs(),
  });
}

/** A host whose log lines ("level: message") and ABI-misuse reports are collected. */
export function testHost(options: HostOptions = {}): { host: ReturnType<typeof createHost>; logs: string[]; misuse: string[] } {
  const logs: string[] = [];
  const misuse: string[] = [];
  const host = createHost({
    logLevel: "trace",
    onAbiMisuse: (_filter, message) => misuse.push(message),
    ...options,
    logger: (e: LogEntry) => logs.push(`${e.level}: ${e.message}`),
  });
  return { host, logs, misuse };
}

/** Builds and loads test filter `name` into a fresh host. */
export async function loadSdkFilter(
  name: string,
  options: { config?: string; vmId?: string; host?: HostOptions } = {},
): Promise<{ filter: Filter; logs: string[]; misuse: string[] }> {
  const { host, logs, misuse } = testHost(options.host);
  const filter = await host.loadFilter({ name, module: await buildSdkFilter(name), config: options.config, vmId: options.vmId });
  return { filter, logs, misuse };
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
export const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
