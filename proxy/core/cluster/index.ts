/**
 * The runtime-neutral cluster machinery, in one import: endpoints, load balancers, circuit
 * breakers, outlier detection, active health checking, retry policy and budget, DNS refresh,
 * and the `Cluster` that ties them together. Nothing here opens a socket or reads a global
 * clock: I/O (`probe`, `resolve`) and time (`Clock`, `Random`) are injected, so the runtime
 * adapters supply them and tests drive them by hand.
 */

export * from "./circuit-breaker.ts";
export * from "./clock.ts";
export * from "./cluster.ts";
export * from "./cluster-stats.ts";
export * from "./dns.ts";
export * from "./endpoint.ts";
export * from "./health-check.ts";
export * from "./load-balancer.ts";
export * from "./outlier-detection.ts";
export * from "./retry.ts";
export * from "./retry-budget.ts";
export * from "./ring-hash.ts";
