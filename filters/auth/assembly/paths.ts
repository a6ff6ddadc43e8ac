// Which rule a request path falls under: the first rule whose prefix starts the path (query
// excluded), like weir's router matches route prefixes; the top-level rule otherwise.

import { Rule } from "./settings";

/** The first of `rules` whose prefix starts `path` (before any `?`), else `fallback`. */
export function matchRule(rules: Rule[], path: string, fallback: Rule): Rule {
  const end = pathEnd(path);
  for (let i = 0; i < rules.length; i++) {
    const rule = unchecked(rules[i]);
    const prefix = rule.prefix;
    if (prefix.length <= end && path.startsWith(prefix)) return rule;
  }
  return fallback;
}

function pathEnd(path: string): i32 {
  const query = path.indexOf("?");
  return query < 0 ? path.length : query;
}

/**
 * Whether `path` has a `.` or `..` segment (also percent-encoded, `%2e`) or a backslash
 * (`\`, `%5c`): a server behind the proxy may resolve those into a path under another
 * rule's prefix, so the filter refuses to guess (Envoy's `normalize_path` concern).
 */
export function isAmbiguousPath(path: string): bool {
  const end = pathEnd(path);
  let segment = 0;
  let dots = 0;
  let onlyDots = true;
  for (let i = 0; i <= end; i++) {
    const c = i == end ? 0x2f : <u32>path.charCodeAt(i);
    if (c == 0x2f) {
      if (onlyDots && (dots == 1 || dots == 2) && i > segment) return true;
      segment = i + 1;
      dots = 0;
      onlyDots = true;
    } else if (c == 0x5c) {
      return true;
    } else if (c == 0x2e) {
      dots++;
    } else if (c == 0x25 && i + 2 < end && path.charCodeAt(i + 1) == 0x32 && (path.charCodeAt(i + 2) | 0x20) == 0x65) {
      dots++; // %2e
      i += 2;
    } else if (c == 0x25 && i + 2 < end && path.charCodeAt(i + 1) == 0x35 && (path.charCodeAt(i + 2) | 0x20) == 0x63) {
      return true; // %5c
    } else {
      onlyDots = false;
    }
  }
  return false;
}
