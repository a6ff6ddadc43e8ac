/**
 * Readiness as `/ready` reports it: the proxy is ready when every listener is bound and every
 * filter has a loaded version — Envoy's `/ready` is 200 only in state LIVE, and a readiness
 * probe that passes before the filters load lets traffic meet a half-built chain (the startup
 * ordering problem, istio/istio#11130).
 */

import type { FilterStatus, Readiness } from "./types.ts";

export interface ListenerReadiness {
  name: string;
  bound: boolean;
  /** `host:port`, for the reason text. */
  address?: string;
}

/**
 * Builds the readiness answer from the listeners and filters, one reason per thing not ready.
 * A filter that failed after loading (`failed`) does not make the proxy unready: its failure
 * policy answers for it and the host may reload it; one that never loaded does.
 *
 * @example
 * ```ts
 * checkReadiness({ listeners: [{ name: "inbound", bound: false, address: "0.0.0.0:15006" }], filters: [] });
 * // { ready: false, reasons: ['listener "inbound" (0.0.0.0:15006) is not bound'] }
 * ```
 */
export function checkReadiness(parts: {
  listeners: readonly ListenerReadiness[];
  filters: readonly Pick<FilterStatus, "name" | "state" | "lastError" | "listener">[];
  /** Anything else still starting (e.g. `"config is loading"`). */
  pending?: readonly string[];
}): Readiness {
  const reasons: string[] = [...(parts.pending ?? [])];
  for (const l of parts.listeners) {
    if (!l.bound) reasons.push(`listener ${JSON.stringify(l.name)}${l.address ? ` (${l.address})` : ""} is not bound`);
  }
  for (const f of parts.filters) {
    const where = f.listener ? ` on listener ${JSON.stringify(f.listener)}` : "";
    if (f.state === "loading") reasons.push(`filter ${JSON.stringify(f.name)}${where} is still loading`);
    else if (f.state === "load-failed")
      reasons.push(`filter ${JSON.stringify(f.name)}${where} failed to load${f.lastError ? `: ${f.lastError}` : ""}`);
    else if (f.state === "closed") reasons.push(`filter ${JSON.stringify(f.name)}${where} is closed`);
  }
  return { ready: reasons.length === 0, reasons };
}
