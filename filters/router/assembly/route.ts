// One route: what it matches (path, methods, headers, query parameters — all must hold) and
// what it does (forward to a cluster or a weighted split, answer with a redirect or a direct
// response). The configuration reader (`read-config.ts`) builds these; `index.ts` runs them
// in order and the first that matches wins.

import { HeaderPair } from "../../../sdk/assembly";
import { EXACT, StringMatch, ValueMatcher } from "./matchers";
import { RequestView } from "./request";

/** The conditions of a route. */
export class RouteMatch {
  /** prefix, path (exact) or regex; null matches every path. */
  path: StringMatch | null = null;
  methods: string[] = [];
  headers: ValueMatcher[] = [];
  query: ValueMatcher[] = [];

  matches(request: RequestView): bool {
    const path = this.path;
    if (path !== null && !path.matches(request.path, request.pathEnd)) return false;
    const methods = this.methods;
    if (methods.length > 0 && !methods.includes(request.method())) return false;
    const headers = this.headers;
    for (let i = 0, n = headers.length; i < n; i++) {
      const matcher = unchecked(headers[i]);
      if (!matcher.matches(request.header(matcher.name))) return false;
    }
    const query = this.query;
    for (let i = 0, n = query.length; i < n; i++) {
      const matcher = unchecked(query[i]);
      if (!matcher.matches(request.query(matcher.name))) return false;
    }
    return true;
  }

  /** How much of the path a prefix or exact match consumed, for prefix rewrites. */
  matchedLength(request: RequestView): i32 {
    const path = this.path!;
    return path.kind == EXACT ? request.pathEnd : path.value.length;
  }
}

/** Request rewrites of a forwarding route. */
export class Rewrite {
  /** Replaces the matched prefix (null: keep). */
  prefix: string | null = null;
  /** Replaces the whole path, query kept (null: keep). */
  path: string | null = null;
  /** New `:authority` ("": keep). */
  host: string = "";
  headersToRemove: string[] = [];
  headersToAdd: HeaderPair[] = [];
}

export class Redirect {
  /** "" keeps the request's. */
  scheme: string = "";
  host: string = "";
  /** 0 keeps the request's. */
  port: i32 = 0;
  path: string | null = null;
  prefix: string | null = null;
  status: i32 = 301;
  stripQuery: bool = false;
}

export class DirectResponse {
  status: i32 = 200;
  body: string = "";
  headers: HeaderPair[] = [];
}

export class Route {
  match: RouteMatch = new RouteMatch();
  /** The cluster of a plain forwarding route; "" when the proxy's own choice stands. */
  cluster: string = "";
  /** The clusters of a weighted split (empty for other routes). */
  clusters: string[] = [];
  /** Running sums of the weights: cluster i takes buckets [cumulative[i-1], cumulative[i]). */
  cumulative: u32[] = [];
  totalWeight: u32 = 0;
  stickyHeader: string = "";
  stickyCookie: string = "";
  rewrite: Rewrite | null = null;
  redirect: Redirect | null = null;
  direct: DirectResponse | null = null;

  /** The cluster of bucket `b` of a weighted split. */
  clusterOfBucket(b: u32): string {
    const cumulative = this.cumulative;
    const last = cumulative.length - 1;
    let i = 0;
    while (i < last && b >= unchecked(cumulative[i])) i++;
    return this.clusters[i];
  }
}
