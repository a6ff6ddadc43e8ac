// What a matched route does to the request: rewrite its path, authority and headers before
// it goes upstream, or build the `location` of a redirect. Both follow Envoy's route
// actions (`prefix_rewrite`, `host_rewrite_literal`, `request_headers_to_add/remove`,
// `redirect`): https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto

import { HeaderMap } from "../../../sdk/assembly";
import { RequestView } from "./request";
import { Redirect, Rewrite, Route } from "./route";

/** `replacement` + the rest of the path after the matched prefix (never empty). */
function replacePrefix(request: RequestView, matched: i32, replacement: string): string {
  const rest = request.path.substring(matched, request.pathEnd);
  const path = replacement + rest;
  return path.length == 0 ? "/" : path;
}

/** Applies `rewrite` to the request headers. Removals run before additions, as in Envoy. */
export function applyRewrite(route: Route, rewrite: Rewrite, request: RequestView, headers: HeaderMap): void {
  const prefix = rewrite.prefix;
  const path = rewrite.path;
  if (prefix !== null) headers.set(":path", replacePrefix(request, route.match.matchedLength(request), prefix) + request.queryPart());
  else if (path !== null) headers.set(":path", path + request.queryPart());
  if (rewrite.host.length > 0) headers.set(":authority", rewrite.host);
  const remove = rewrite.headersToRemove;
  for (let i = 0, n = remove.length; i < n; i++) headers.remove(unchecked(remove[i]));
  const add = rewrite.headersToAdd;
  for (let i = 0, n = add.length; i < n; i++) headers.set(unchecked(add[i]).name, unchecked(add[i]).value);
}

function defaultPort(scheme: string): string {
  return scheme == "https" ? "443" : "80";
}

/**
 * The absolute URL a redirect sends the client to: the request's scheme, authority, path and
 * query, each replaced as the redirect says. A port that is the default of the resulting
 * scheme (80 for http, 443 for https) is left out, and so is the request's when the scheme
 * changes (`http://a:80` → `https://a`).
 */
export function redirectLocation(route: Route, redirect: Redirect, request: RequestView, headers: HeaderMap): string {
  const requestScheme = headers.get(":scheme");
  const original = requestScheme === null ? "http" : requestScheme;
  const scheme = redirect.scheme.length > 0 ? redirect.scheme : original;
  let host = redirect.host;
  if (host.length == 0) {
    const given = headers.get(":authority");
    host = given === null ? "" : given;
  }
  // Split off the port (not the colons of an IPv6 literal: `[::1]:8080`).
  const colon = host.lastIndexOf(":");
  let port = "";
  if (colon > host.lastIndexOf("]")) {
    port = host.substring(colon + 1);
    host = host.substring(0, colon);
  }
  if (redirect.port > 0) port = redirect.port.toString();
  else if (port == defaultPort(original)) port = ""; // e.g. http://a:80 → https://a
  if (port.length > 0 && port != defaultPort(scheme)) host += ":" + port;

  const newPath = redirect.path;
  const prefix = redirect.prefix;
  let path: string;
  let query = redirect.stripQuery ? "" : request.queryPart();
  if (newPath !== null) {
    path = newPath;
    if (newPath.includes("?")) query = ""; // the configured path brings its own query
  } else path = prefix === null ? request.pathOnly() : replacePrefix(request, route.match.matchedLength(request), prefix);
  return scheme + "://" + host + path + query;
}
