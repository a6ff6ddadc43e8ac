/** `weir quickstart` (npm start): examples/quickstart, running until Ctrl-C. */

import { startQuickstart } from "../../examples/quickstart/quickstart.ts";

export async function quickstart(): Promise<number> {
  console.log("weir quickstart: building the filters and starting the demo app and the sidecar…");
  const qs = await startQuickstart();
  console.log(
    `\nthe app listens on 127.0.0.1:${qs.appPort}; weir in front of it on 127.0.0.1:${qs.port} (router → auth → ratelimit → retry); admin on 127.0.0.1:${qs.adminPort}\n`,
  );
  console.log("try:");
  for (const command of qs.commands) console.log(`  ${command}`);
  console.log("\nCtrl-C stops it (weir drains first).\n");
  return new Promise((done) => {
    const stop = () => void qs.stop().then(() => done(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
