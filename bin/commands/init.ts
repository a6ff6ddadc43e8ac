/** `weir init <dir>`: see sdk/init/init-project.ts. */

import { InitError, initProject } from "../../sdk/init/init-project.ts";

export async function init(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const dir = args.find((a) => !a.startsWith("-"));
  if (!dir) {
    out("usage: weir init <dir>");
    return 2;
  }
  try {
    const result = await initProject(dir);
    out(`created ${result.dir}:`);
    for (const file of result.files) out(`  ${file}`);
    out(`\nnext:\n  cd ${dir}\n  npm install\n  npx weir build\n  npx vitest run`);
    return 0;
  } catch (err) {
    if (err instanceof InitError) {
      out(err.message);
      return 1;
    }
    throw err;
  }
}
