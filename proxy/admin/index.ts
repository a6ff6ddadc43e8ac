/**
 * weir's admin API (a Hono app) and the helpers that feed it.
 *
 * @example
 * ```ts
 * import { checkReadiness, createAdminApp } from "./admin/index.ts";
 * const admin = createAdminApp({ stats, readiness: () => checkReadiness({ listeners, filters }) });
 * ```
 */

export { ADMIN_ENDPOINTS, createAdminApp } from "./app.ts";
export { describeFilter } from "./describe-filter.ts";
export { checkReadiness, type ListenerReadiness } from "./readiness.ts";
export {
  ADMIN_DEFAULT_ADDRESS,
  type AdminOptions,
  type ClusterStatus,
  type EndpointStatus,
  type FilterStatus,
  type FilterStatusState,
  type Readiness,
} from "./types.ts";
