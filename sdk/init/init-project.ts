/**
 * `weir init <dir>`: scaffolds a filter project that builds and passes its tests straight
 * away. weir itself is vendored into the project as a packed tarball (`vendor/weir-<v>.tgz`),
 * so `npm install` needs nothing but the npm registry for the rest and gives the project its
 * own copy of weir (one vitest instance, resolved from the project).
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { WEIR_ROOT } from "../build/weir-root.ts";
import { templates } from "./templates.ts";

const run = promisify(execFile);

export class InitError extends Error {}

export interface InitResult {
  dir: string;
  files: string[];
}

/** A valid npm package name from a folder name. */
export function packageNameFor(dir: string): string {
  return (
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "") || "my-filter"
  );
}

export async function initProject(dir: string, options: { name?: string } = {}): Promise<InitResult> {
  const target = resolve(dir);
  if (existsSync(target) && (await readdir(target)).length > 0) {
    throw new InitError(`weir init: "${dir}" is not empty; choose a new folder`);
  }
  const name = options.name ?? packageNameFor(target);
  await mkdir(join(target, "vendor"), { recursive: true });
  // npm pack runs from weir's own folder: dist/ is already built there (npm install did it).
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", join(target, "vendor"), WEIR_ROOT], {
    cwd: WEIR_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    throw new InitError(`weir init: could not pack weir for the new project: ${err.stderr || err.message}`);
  });
  const packed = (JSON.parse(stdout) as { filename: string }[])[0].filename;
  const files = templates(name, `file:vendor/${basename(packed)}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(target, path)), { recursive: true });
    await writeFile(join(target, path), content);
  }
  return { dir: target, files: [...Object.keys(files), `vendor/${basename(packed)}`] };
}
