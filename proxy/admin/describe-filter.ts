/**
 * Turns a loaded host filter into the `/filters` entry, so the proxy's callback is one `map`.
 */

import type { Filter } from "../abi/filter.ts";
import type { FilterStatus } from "./types.ts";

/**
 * @example
 * ```ts
 * createAdminApp({ …, filters: () => loaded.map(({ filter, source }) => describeFilter(filter, source, { listener: "inbound" })) });
 * ```
 */
export function describeFilter(
  filter: Pick<Filter, "name" | "digest" | "state" | "policy" | "lastError" | "counters">,
  source: string,
  extra: { listener?: string } = {},
): FilterStatus {
  return {
    name: filter.name,
    ...(extra.listener === undefined ? {} : { listener: extra.listener }),
    source,
    digest: filter.digest,
    state: filter.state,
    failurePolicy: filter.policy,
    lastError: filter.lastError ? filter.lastError.message : null,
    counters: { ...filter.counters },
  };
}
