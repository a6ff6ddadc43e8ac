// Reads the router's JSON configuration into routes, recording every problem with the path
// of the field it is about (`routes[1].match.regex`), so a bad configuration fails the
// filter's load with all of them listed. The reference is README.md; config.schema.json says
// the same for editors and `weir build`.

import { Config, HeaderPair } from "../../../sdk/assembly";
import { Fields } from "./fields";
import { asciiLower, asciiUpper, EXACT, PREFIX, readStringMatch, readValueMatcher, ValueMatcher } from "./matchers";
import { DirectResponse, Redirect, Rewrite, Route, RouteMatch } from "./route";

/** Reads the configuration into `routes`; problems are recorded on `config`, which the SDK then rejects. */
export function readConfig(config: Config, routes: Route[]): void {
  const top = Fields.root(config);
  if (top === null) return;
  top.allowOnly("routes");
  if (!top.has("routes")) top.fail("routes", "is required");
  const count = top.array("routes").length;
  for (let i = 0; i < count; i++) {
    const fields = top.item("routes", i);
    if (fields !== null) routes.push(readRoute(fields));
  }
}

function readRoute(fields: Fields): Route {
  fields.allowOnly("name, match, cluster, weightedClusters, stickyOn, rewrite, redirect, directResponse");
  const route = new Route();
  fields.string("name", ""); // for people reading the configuration
  if (!fields.has("match")) fields.fail("match", "is required");
  const match = fields.object("match");
  if (match !== null) route.match = readMatch(match);
  const action = fields.oneOf("cluster, weightedClusters, redirect, directResponse");
  if (action == "cluster") route.cluster = fields.requireString(action);
  else if (action == "weightedClusters") readWeightedClusters(fields, route);
  else if (action == "redirect") route.redirect = readRedirect(fields.object(action), route.match);
  else if (action == "directResponse") route.direct = readDirectResponse(fields.object(action));
  else if (!fields.has("rewrite")) fields.failHere("needs one of cluster, weightedClusters, redirect, directResponse, rewrite");
  const sticky = fields.object("stickyOn");
  if (sticky !== null) {
    if (route.clusters.length == 0) fields.fail("stickyOn", "needs weightedClusters");
    sticky.allowOnly("header, cookie");
    const on = sticky.oneOf("header, cookie");
    if (on == "") sticky.failHere("needs header or cookie");
    else if (on == "header") route.stickyHeader = asciiLower(sticky.requireString(on));
    else route.stickyCookie = sticky.requireString(on);
  }
  const rewrite = fields.object("rewrite");
  if (rewrite !== null) {
    if (action == "redirect" || action == "directResponse") fields.fail("rewrite", "cannot be combined with " + action);
    route.rewrite = readRewrite(rewrite, route.match);
  }
  return route;
}

function readMatch(fields: Fields): RouteMatch {
  fields.allowOnly("prefix, path, regex, methods, headers, query");
  const match = new RouteMatch();
  const kind = fields.oneOf("prefix, path, regex");
  if (kind != "") {
    if (kind != "regex") readPath(fields, kind);
    match.path = readStringMatch(fields, kind);
  }
  const methods = fields.strings("methods");
  for (let i = 0; i < methods.length; i++) {
    if (methods[i] != asciiUpper(methods[i]) || methods[i] == "") fields.fail("methods[" + i.toString() + "]", "must be an upper-case method");
  }
  match.methods = methods;
  match.headers = readValueMatchers(fields, "headers");
  match.query = readValueMatchers(fields, "query");
  return match;
}

function readValueMatchers(fields: Fields, field: string): ValueMatcher[] {
  const count = fields.array(field).length;
  const out = new Array<ValueMatcher>();
  for (let i = 0; i < count; i++) {
    const item = fields.item(field, i);
    if (item !== null) out.push(readValueMatcher(item, field == "headers"));
  }
  return out;
}

function readWeightedClusters(fields: Fields, route: Route): void {
  const count = fields.array("weightedClusters").length;
  let total: i32 = 0;
  for (let i = 0; i < count; i++) {
    const item = fields.item("weightedClusters", i);
    if (item === null) continue;
    item.allowOnly("cluster, weight");
    route.clusters.push(item.requireString("cluster"));
    if (!item.has("weight")) item.fail("weight", "is required");
    total += item.int("weight", 0, 0, 1_000_000);
    route.cumulative.push(<u32>total);
  }
  if (total == 0) fields.fail("weightedClusters", "needs a cluster with a weight above 0");
  route.totalWeight = <u32>total;
}

/** A header a route may set or remove, lower-cased: never a pseudo-header or `host`. */
function headerName(fields: Fields, field: string, name: string): string {
  const lower = asciiLower(name);
  if (lower.startsWith(":") || lower == "host") fields.fail(field, "cannot be " + name + " (see rewrite.host, rewrite.prefix, rewrite.path)");
  return lower;
}

/** `headers` / `headersToAdd`: `[{ name, value }]`. */
function readHeaderPairs(fields: Fields, field: string): HeaderPair[] {
  const count = fields.array(field).length;
  const out = new Array<HeaderPair>();
  for (let i = 0; i < count; i++) {
    const item = fields.item(field, i);
    if (item === null) continue;
    item.allowOnly("name, value");
    const name = headerName(item, "name", item.requireString("name"));
    if (!item.has("value")) item.fail("value", "is required");
    out.push(new HeaderPair(name, item.string("value", "")));
  }
  return out;
}

/** A path field: it must start with "/" and have no query. */
function readPath(fields: Fields, field: string): string {
  const value = fields.string(field, "/");
  if (!value.startsWith("/") || value.includes("?")) fields.fail(field, "must start with / and have no query");
  return value;
}

/** The replacement of the matched prefix (`rewrite.prefix`, `redirect.prefix`): needs match.prefix or match.path. */
function readPrefix(fields: Fields, match: RouteMatch): string | null {
  if (!fields.has("prefix")) return null;
  const path = match.path;
  if (path === null || (path.kind != PREFIX && path.kind != EXACT)) fields.fail("prefix", "needs match.prefix or match.path");
  return fields.string("prefix", "");
}

function readRewrite(fields: Fields, match: RouteMatch): Rewrite {
  fields.allowOnly("prefix, path, host, headersToAdd, headersToRemove");
  const rewrite = new Rewrite();
  if (fields.oneOf("prefix, path") == "path") rewrite.path = readPath(fields, "path");
  rewrite.prefix = readPrefix(fields, match);
  if (fields.has("host")) rewrite.host = fields.requireString("host");
  const remove = fields.strings("headersToRemove");
  for (let i = 0; i < remove.length; i++) remove[i] = headerName(fields, "headersToRemove[" + i.toString() + "]", remove[i]);
  rewrite.headersToRemove = remove;
  rewrite.headersToAdd = readHeaderPairs(fields, "headersToAdd");
  return rewrite;
}

function readRedirect(fields: Fields | null, match: RouteMatch): Redirect {
  const redirect = new Redirect();
  if (fields === null) return redirect;
  fields.allowOnly("scheme, host, port, path, prefix, status, stripQuery");
  const scheme = fields.string("scheme", "");
  if (scheme != "" && scheme != "http" && scheme != "https") fields.fail("scheme", "must be http or https");
  redirect.scheme = scheme;
  if (fields.has("host")) redirect.host = fields.requireString("host");
  redirect.port = fields.int("port", 0, 1, 65535);
  if (fields.oneOf("path, prefix") == "path") {
    const path = fields.string("path", "/");
    if (!path.startsWith("/")) fields.fail("path", "must start with /");
    redirect.path = path;
  }
  redirect.prefix = readPrefix(fields, match);
  const status = fields.int("status", 301, 301, 308);
  if (status > 303 && status < 307) fields.fail("status", "must be 301, 302, 303, 307 or 308");
  redirect.status = status;
  redirect.stripQuery = fields.bool("stripQuery", false);
  return redirect;
}

function readDirectResponse(fields: Fields | null): DirectResponse {
  const direct = new DirectResponse();
  if (fields === null) return direct;
  fields.allowOnly("status, body, headers");
  if (!fields.has("status")) fields.fail("status", "is required");
  direct.status = fields.int("status", 200, 200, 599);
  direct.body = fields.string("body", "");
  direct.headers = readHeaderPairs(fields, "headers");
  return direct;
}
