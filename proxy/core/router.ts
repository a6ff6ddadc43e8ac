/**
 * Route matching, as Envoy's RouteConfiguration does it: the virtual host by `:authority`
 * (exact names first, then the longest `*.suffix`, then the longest `prefix.*`, then `*`),
 * then the first route whose path, method, headers and query parameters match. Actions
 * become a `RouteDecision`: forward to a cluster (weighted clusters pick by weight), a direct
 * response, or a redirect.
 */

import type { HeaderMap } from "../abi/header-map.ts";
import type { RetryPolicy as ConfigRetry, Route, RouteMatch, ValueMatch, VirtualHost } from "./config/types.ts";
import type { RetryPolicy, RouteDecision, Router } from "./http/routing-types.ts";

interface CompiledRoute {
  route: Route;
  matches(path: string, query: URLSearchParams | undefined, headers: HeaderMap): boolean;
  retry: RetryPolicy | undefined;
}

interface CompiledHost {
  host: VirtualHost;
  routes: CompiledRoute[];
}

function compileValue(m: ValueMatch): (value: string | undefined) => boolean {
  if ("exact" in m) return (v) => v === m.exact;
  if ("regex" in m) {
    const re = new RegExp(`^(?:${m.regex})$`);
    return (v) => v !== undefined && re.test(v);
  }
  return (v) => (v !== undefined) === m.present;
}

function compileMatch(match: RouteMatch): CompiledRoute["matches"] {
  const fold = (s: string) => (match.caseSensitive ? s : s.toLowerCase());
  let pathTest: (path: string) => boolean;
  if ("prefix" in match.path) {
    const prefix = fold(match.path.prefix);
    pathTest = (p) => fold(p).startsWith(prefix);
  } else if ("path" in match.path) {
    const exact = fold(match.path.path);
    pathTest = (p) => fold(p) === exact;
  } else {
    const re = new RegExp(`^(?:${match.path.regex})$`, match.caseSensitive ? "" : "i");
    pathTest = (p) => re.test(p);
  }
  const methods = match.methods.map((m) => m.toUpperCase());
  const headers = match.headers.map((h) => [h.name.toLowerCase(), compileValue(h)] as const);
  const params = match.queryParams.map((q) => [q.name, compileValue(q)] as const);
  return (path, query, requestHeaders) => {
    if (!pathTest(path)) return false;
    if (methods.length > 0 && !methods.includes(requestHeaders.get(":method") ?? "")) return false;
    for (const [name, test] of headers) {
      const all = requestHeaders.getAll(name);
      if (!test(all.length === 0 ? undefined : all.join(","))) return false;
    }
    for (const [name, test] of params) if (!test(query?.get(name) ?? undefined)) return false;
    return true;
  };
}

function compileRetry(r: ConfigRetry): RetryPolicy | undefined {
  if (r.numRetries === 0) return undefined;
  return {
    retryOn: new Set(r.retryOn),
    numRetries: r.numRetries,
    retriableStatusCodes: r.retriableStatusCodes,
    idempotentOnly: r.idempotentOnly,
    backoffBaseMs: r.backoff.base,
    backoffMaxMs: r.backoff.max,
  };
}

/** Domain specificity per Envoy: exact, then suffix wildcards (longest first), then prefix wildcards, then `*`. */
function hostRank(domain: string): [number, number] {
  if (domain === "*") return [3, 0];
  if (domain.startsWith("*")) return [1, -domain.length];
  if (domain.endsWith("*")) return [2, -domain.length];
  return [0, 0];
}

function domainMatches(domain: string, host: string): boolean {
  if (domain === "*") return true;
  if (domain.startsWith("*")) return host.endsWith(domain.slice(1)) && host.length > domain.length - 1;
  if (domain.endsWith("*")) return host.startsWith(domain.slice(0, -1)) && host.length > domain.length - 1;
  return domain === host;
}

export interface CreateRouterOptions {
  /** For weighted clusters; defaults to Math.random. */
  random?: () => number;
}

/** Builds a `Router` over a listener's virtual hosts. Regexes were validated with the config. */
export function createRouter(virtualHosts: readonly VirtualHost[], options: CreateRouterOptions = {}): Router {
  const random = options.random ?? Math.random;
  const hosts: CompiledHost[] = virtualHosts.map((host) => ({
    host,
    routes: host.routes.map((route) => ({
      route,
      matches: compileMatch(route.match),
      retry: "retries" in route ? compileRetry(route.retries) : undefined,
    })),
  }));
  const domains = hosts
    .flatMap((h) => h.host.domains.map((d) => ({ domain: d.toLowerCase(), host: h })))
    .sort((a, b) => {
      const [ra, la] = hostRank(a.domain);
      const [rb, lb] = hostRank(b.domain);
      return ra - rb || la - lb;
    });

  function findHost(authority: string): CompiledHost | undefined {
    let host = authority.toLowerCase();
    const colon = host.lastIndexOf(":");
    if (colon !== -1 && !host.endsWith("]")) host = host.slice(0, colon);
    for (const d of domains) if (domainMatches(d.domain, host)) return d.host;
    return undefined;
  }

  return {
    route(headers, override) {
      const host = findHost(headers.get(":authority") ?? "");
      if (host === undefined) return { kind: "none" };
      const target = headers.get(":path") ?? "/";
      const q = target.indexOf("?");
      const path = q === -1 ? target : target.slice(0, q);
      const query = q === -1 ? undefined : new URLSearchParams(target.slice(q + 1));
      for (const compiled of host.routes) {
        if (!compiled.matches(path, query, headers)) continue;
        return decide(compiled, headers, override, random);
      }
      return { kind: "none" };
    },
  };
}

function decide(compiled: CompiledRoute, headers: HeaderMap, override: string | undefined, random: () => number): RouteDecision {
  const route = compiled.route;
  const name = route.name;
  const filters = Object.keys(route.filters).length > 0 ? route.filters : undefined;
  if ("directResponse" in route)
    return { kind: "direct", name, status: route.directResponse.status, body: route.directResponse.body, filters };
  if ("redirect" in route) {
    const r = route.redirect;
    const authority = headers.get(":authority") ?? "";
    const [reqHost, reqPort] = authority.split(":");
    const scheme = r.scheme ?? headers.get(":scheme") ?? "http";
    const host = r.host ?? reqHost;
    const port = r.port ?? (reqPort ? Number(reqPort) : null);
    const path = r.path ?? headers.get(":path") ?? "/";
    const defaultPort = (scheme === "https" && port === 443) || (scheme === "http" && port === 80);
    return {
      kind: "redirect",
      name,
      status: r.code,
      location: `${scheme}://${host}${port && !defaultPort ? `:${port}` : ""}${path}`,
      filters,
    };
  }
  let cluster: string;
  if (override !== undefined) cluster = override;
  else if ("cluster" in route) cluster = route.cluster;
  else {
    const total = route.weightedClusters.reduce((n, c) => n + c.weight, 0);
    let pick = random() * total;
    cluster = route.weightedClusters[route.weightedClusters.length - 1].name;
    for (const c of route.weightedClusters) {
      pick -= c.weight;
      if (pick < 0) {
        cluster = c.name;
        break;
      }
    }
  }
  return {
    kind: "forward",
    route: { name, cluster, timeoutMs: route.timeout, perTryTimeoutMs: route.retries.perTryTimeout, retry: compiled.retry },
    filters,
  };
}
