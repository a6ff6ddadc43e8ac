/**
 * Checks the names one part of the config uses for another, once every part is read: the
 * clusters routes and filter capabilities name, the route tables listeners name, and the
 * filters per-route overrides name (which must be in the chain of every listener that uses
 * those routes). Each problem is reported where the name is written, with a did-you-mean.
 */

import { inlineScope } from "./listeners.ts";
import type { Checker, Reference } from "./reader.ts";
import { didYouMean } from "./suggest.ts";
import type { ListenerConfig, ProxyConfig } from "./types.ts";

/** Reports every reference in `checker.references` that names nothing in `config`. */
export function checkReferences(checker: Checker, config: ProxyConfig): void {
  // A missing name was reported where it is missing; it is no candidate here.
  const clusters = config.clusters.map((c) => c.name).filter((n) => n !== "");
  const tables = config.routeTables.map((t) => t.name).filter((n) => n !== "");
  for (const ref of checker.references) {
    if (ref.kind === "cluster" && !clusters.includes(ref.name)) report(checker, ref, "cluster", clusters);
    if (ref.kind === "routeTable" && !tables.includes(ref.name)) report(checker, ref, "route table", tables);
    if (ref.kind === "filter") checkFilterOverride(checker, ref, config.listeners);
  }
}

function report(checker: Checker, ref: Reference, what: string, known: string[]): void {
  const hint = didYouMean(ref.name, known);
  const list = known.length === 0 ? `no ${what}s are defined` : `defined: ${known.join(", ")}`;
  checker.report(ref, ref.path, `${what} "${ref.name}" is not defined${hint}; ${list}`);
}

/** A per-route override must name a filter in the chain of each listener whose routes contain it. */
function checkFilterOverride(checker: Checker, ref: Reference, listeners: ListenerConfig[]): void {
  for (const listener of listeners) {
    const uses = ref.scope === inlineScope(listener.name) || (listener.routeTable !== null && ref.scope === listener.routeTable);
    if (!uses) continue;
    const chain = [...new Set(listener.filters.map((f) => f.name))];
    if (chain.includes(ref.name)) continue;
    const hint = didYouMean(ref.name, chain);
    const have = chain.length === 0 ? "it has no filters" : `its filters: ${chain.join(", ")}`;
    checker.report(ref, ref.path, `filter "${ref.name}" is not in the chain of listener "${listener.name}"${hint}; ${have}`);
  }
}
