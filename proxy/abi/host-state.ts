/**
 * What every filter VM of one host shares: the process-level stores (shared data, queues,
 * metrics) and the embedder's interfaces (logger, timers, upstream, crypto, foreign functions).
 */

import type { Metrics } from "./metrics.ts";
import type { PropertyValue } from "./properties.ts";
import type { SharedData } from "./shared-data.ts";
import type { SharedQueues } from "./shared-queues.ts";
import type { ForeignFunction, HostCrypto, HttpCallUpstream, Logger, Timers } from "./types.ts";

export interface HostState {
  logger: Logger;
  /** Lowest level passed to the logger; also what `proxy_get_log_level` answers. */
  logLevel: number;
  timers: Timers;
  sharedData: SharedData;
  queues: SharedQueues;
  metrics: Metrics;
  upstream: HttpCallUpstream | undefined;
  foreignFunctions: Map<string, ForeignFunction>;
  crypto: HostCrypto | undefined;
  /** Host-wide properties (node metadata, …). */
  properties: Record<string, PropertyValue>;
  /** Stream teardown order: Envoy's log → done → delete (default) or the spec's done → log → delete. */
  teardownOrder: "envoy" | "spec";
  onAbiMisuse: ((filter: string, message: string) => void) | undefined;
}
