// weir's router filter: picks the upstream cluster of a request from an ordered list of
// routes, Envoy-style. A route matches on path (prefix, exact, regex), method, headers and
// query parameters; the first that matches acts: it forwards — to a cluster, or a weighted
// split (canaries) with sticky hashing on a header or cookie, after optional path, host and
// header rewrites — or answers itself with a redirect or a direct response. A request no
// route matches passes untouched, so the proxy's own routes apply. The chosen cluster
// reaches weir through the `weir.upstream_cluster` property (proxy/abi/EXTENSIONS.md).
// Configuration reference: ../README.md.

export * from "../../../sdk/assembly/exports";
import {
  Action,
  Config,
  currentTimeNanos,
  HeaderMap,
  HeaderPair,
  HttpContext,
  RootContext,
  registerFilter,
  setUpstreamCluster,
} from "../../../sdk/assembly";
import { applyRewrite, redirectLocation } from "./actions";
import { bucket, fnv1a32, Xorshift32 } from "./hash";
import { cookieValue } from "./matchers";
import { readConfig } from "./read-config";
import { RequestView } from "./request";
import { Route } from "./route";

/** What the routes look at; one for every request (a filter VM runs one callback at a time). */
const request = new RequestView();
/** For splits of requests with neither a sticky key nor an x-request-id. */
const random = new Xorshift32(0);

class RouterRoot extends RootContext {
  routes: Route[] = [];

  onConfigure(config: Config): bool {
    const routes = new Array<Route>();
    readConfig(config, routes);
    this.routes = routes;
    const now = currentTimeNanos();
    random.seed(<u32>now ^ <u32>(now >> 32));
    return true; // the SDK rejects the configuration if readConfig recorded a problem
  }

  createHttpContext(id: u32): HttpContext | null {
    // Without routes there is nothing to do: no per-stream context at all.
    return this.routes.length == 0 ? null : new RouterStream(id, this);
  }

  /** Routes the request whose headers are in `headers`: the first route that matches acts. */
  route(stream: HttpContext, headers: HeaderMap): Action {
    request.reset(headers);
    const routes = this.routes;
    for (let i = 0, n = routes.length; i < n; i++) {
      const route = unchecked(routes[i]);
      if (route.match.matches(request)) return this.apply(stream, route, headers);
    }
    return Action.Continue;
  }

  private apply(stream: HttpContext, route: Route, headers: HeaderMap): Action {
    const direct = route.direct;
    if (direct !== null) {
      stream.sendLocalResponse(direct.status, direct.body, direct.headers, "direct_response");
      return Action.Pause;
    }
    const redirect = route.redirect;
    if (redirect !== null) {
      const location = [new HeaderPair("location", redirectLocation(route, redirect, request, headers))];
      stream.sendLocalResponse(redirect.status, "", location, "redirect");
      return Action.Pause;
    }
    // Pick before rewriting: the rewrite may remove the sticky header.
    let cluster = route.cluster;
    if (route.clusters.length > 0) cluster = route.clusterOfBucket(bucket(this.splitHash(route, headers), route.totalWeight));
    if (cluster.length > 0) setUpstreamCluster(cluster);
    const rewrite = route.rewrite;
    if (rewrite !== null) applyRewrite(route, rewrite, request, headers);
    return Action.Continue;
  }

  /**
   * The hash of the sticky key; without one, of `x-request-id`; without that, a random
   * number. weir joins HTTP/2 cookie crumbs into one `cookie` header, as Envoy does, so one
   * header holds every cookie.
   */
  private splitHash(route: Route, headers: HeaderMap): u32 {
    let key: string | null = null;
    if (route.stickyHeader.length > 0) key = headers.get(route.stickyHeader);
    else if (route.stickyCookie.length > 0) {
      const cookies = headers.get("cookie");
      if (cookies !== null) key = cookieValue(cookies, route.stickyCookie);
    }
    if (key === null || key.length == 0) key = headers.get("x-request-id");
    return key === null || key.length == 0 ? random.next() : fnv1a32(key);
  }
}

class RouterStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    return (this.root as RouterRoot).route(this, this.requestHeaders);
  }
}

registerFilter((id: u32): RootContext => new RouterRoot(id));
