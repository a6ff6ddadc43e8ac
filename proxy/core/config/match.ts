/**
 * Reads a route's `match`: one path matcher (prefix, exact path or regex), header and query
 * parameter matchers, and methods. Regexes are compiled here so a bad one is a config error
 * that quotes the engine's complaint, not a failure on the first request. Like Envoy's
 * `safe_regex`, a regex must match the whole path or value.
 */

import { DEFAULTS } from "./defaults.ts";
import { type Checker, fields, listOf, type Read, show } from "./reader.ts";
import type { ConfigNode } from "./source.ts";
import { suggest } from "./suggest.ts";
import type { RouteMatch, ValueMatch } from "./types.ts";
import { boolean, text } from "./values.ts";

const PATH_KINDS = ["prefix", "path", "regex"] as const;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/** The match used when a route has none: every request. */
export function matchAll(): RouteMatch {
  const d = DEFAULTS.route.match;
  return { path: { prefix: d.prefix }, caseSensitive: d.caseSensitive, headers: [], queryParams: [], methods: [] };
}

export function readMatch(node: ConfigNode, path: string, checker: Checker): RouteMatch | undefined {
  const f = fields(node, path, checker, ["prefix", "path", "regex", "caseSensitive", "headers", "queryParams", "methods"]);
  if (!f) return undefined;
  const d = DEFAULTS.route.match;
  const caseSensitive = f.get("caseSensitive", boolean, d.caseSensitive);
  const kind = f.exactlyOne(PATH_KINDS, true) ?? "prefix";
  const urlPath = text({ pattern: /^\//, describe: 'a path starting with "/"' });
  let pathMatch: RouteMatch["path"] = { prefix: d.prefix };
  if (kind === "prefix") pathMatch = { prefix: f.get("prefix", urlPath, d.prefix) };
  if (kind === "path") pathMatch = { path: f.get("path", urlPath, "/") };
  if (kind === "regex") pathMatch = { regex: f.get("regex", regex(caseSensitive ? "" : "i"), "") };
  return {
    path: pathMatch,
    caseSensitive,
    headers: f.get("headers", listOf(valueMatch(true)), []),
    queryParams: f.get("queryParams", listOf(valueMatch(false)), []),
    methods: f.get("methods", listOf(method), []),
  };
}

/** A regular expression source that compiles with `flags`. */
export function regex(flags = ""): Read<string> {
  return (node, path, checker) => {
    const source = text()(node, path, checker);
    if (source === undefined) return undefined;
    try {
      new RegExp(source, flags);
      return source;
    } catch (err) {
      checker.report(node, path, `is not a valid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  };
}

/** `{ name, exact | regex | present }`; with only a name, the header or parameter must be present. Values are case-sensitive. */
function valueMatch(isHeader: boolean): Read<ValueMatch> {
  return (node, path, checker) => {
    const f = fields(node, path, checker, ["name", "exact", "regex", "present"]);
    if (!f) return undefined;
    const headerName = text({ pattern: TOKEN, describe: "a header name" });
    let matchName = f.need("name", isHeader ? headerName : text(), "");
    if (isHeader) matchName = matchName.toLowerCase(); // proxy-wasm and HTTP/2 see lowercase names
    const kind = f.exactlyOne(["exact", "regex", "present"], true);
    if (kind === "exact") return { name: matchName, exact: f.get("exact", text({ allowEmpty: true }), "") };
    if (kind === "regex") return { name: matchName, regex: f.get("regex", regex(), "") };
    return { name: matchName, present: f.get("present", boolean, true) };
  };
}

const method: Read<string> = (node, path, checker) => {
  const value = text()(node, path, checker);
  if (value === undefined) return undefined;
  if (TOKEN.test(value) && value === value.toUpperCase()) return value;
  const hint = suggest(value, KNOWN_METHODS);
  const help = hint === undefined ? "" : ` (did you mean "${hint}"?)`;
  checker.report(
    node,
    path,
    `must be an upper-case HTTP method such as GET or POST (methods are case-sensitive); got ${show(node)}${help}`,
  );
};
