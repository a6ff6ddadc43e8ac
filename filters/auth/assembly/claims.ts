// JWT claims after the signature checked out: testing one against a rule's required values,
// and rendering a string claim as a header value to forward upstream. Claims are top-level
// members of the payload, named exactly (`https://example.com/roles` is one name).

import { JsonKind, JsonValue } from "../../../sdk/assembly";
import { Claim } from "./settings";

/**
 * Whether `payload` meets requirement `claim`: the claim is one of its values, or an array
 * holding one, or — for `scope` and `scp` (RFC 8693 §4.2) — a space-separated list holding one.
 */
export function claimMet(payload: JsonValue, claim: Claim): bool {
  const found = payload.get(claim.name);
  if (found === null) return false;
  const text = found.stringValue; // "" unless a string
  const spaced = claim.name == "scope" || claim.name == "scp" ? " " + text + " " : "";
  const values = claim.values;
  for (let i = 0; i < values.length; i++) {
    const wanted = unchecked(values[i]);
    if ((found.kind == JsonKind.String && text == wanted) || (spaced != "" && spaced.includes(" " + wanted + " "))) return true;
    const items = found.items; // empty unless an array
    for (let j = 0; j < items.length; j++) if (unchecked(items[j]).kind == JsonKind.String && unchecked(items[j]).stringValue == wanted) return true;
  }
  return false;
}

/** A string claim as a header value; null for any other claim, and for text with control characters. */
export function headerValue(claim: JsonValue): string | null {
  const text = claim.stringValue; // "" unless a string
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return null;
  }
  return claim.kind == JsonKind.String ? text : null;
}
