// The decision for one request under one rule: each method the rule accepts is checked in the
// order the rule lists them, and the first that authenticates and is allowed lets the request
// through. Otherwise the most telling failure answers: a credential that authenticated but is
// not allowed (403) over the signing keys being unavailable (503) over a presented but invalid
// credential (401 with `error="invalid_token"`) over no credential at all (401).

import { Context, currentTimeNanos, HeaderMap, JsonValue, peerIdentity } from "../../../sdk/assembly";
import { claimMet, headerValue } from "./claims";
import { CRYPTO_UNAVAILABLE, checkToken, findToken, parseToken, selectKey, tokenError } from "./jwt";
import { KeyCache, KeysState } from "./key-cache";
import { Method, Rule } from "./settings";
import { digestListed, sha256Into } from "./sha256";

/** What a check found, from least to most telling (Allow aside). */
export enum Outcome {
  Allow,
  /** No credential of this kind. */
  Absent,
  /** A credential that does not authenticate. */
  Invalid,
  /** The signing keys (or the host's crypto) are not available. */
  Unavailable,
  /** Authenticated, but not allowed here. */
  Forbidden,
  /** The JWKS is being fetched: ask again when it arrives. */
  Wait,
}

/** Where an API key's digest is computed. */
const DIGEST: usize = memory.data(32);

/**
 * The root's second layer: checks requests against the settings (`AuthRoot` extends this).
 * After `authorize`, `method` and `reason` describe the outcome (a fixed phrase, safe for
 * `WWW-Authenticate`) and `payload` holds the claims of an accepted JWT.
 */
export class Authorizer extends KeyCache {
  method: Method = Method.Jwt;
  reason: string = "";
  payload: JsonValue | null = null;

  /** Decides `rule` (which has methods) for `stream`, whose request headers are `headers`. */
  authorize(rule: Rule, headers: HeaderMap, stream: Context): Outcome {
    let best = Outcome.Allow;
    let method = Method.Jwt;
    let reason = "";
    this.payload = null;
    for (let order = rule.order; order != 0; order >>= 8) {
      const m = <Method>((order & 0xff) - 1);
      const outcome = m == Method.ApiKey ? this.checkApiKey(headers) : m == Method.Peer ? this.checkPeer() : this.checkJwt(rule, headers, stream);
      if (outcome == Outcome.Allow) return outcome;
      if (outcome > best) {
        best = outcome;
        method = m;
        reason = this.reason;
      }
    }
    this.method = method;
    this.reason = reason;
    return best;
  }

  private fail(outcome: Outcome, reason: string): Outcome {
    this.reason = reason;
    return outcome;
  }

  private checkApiKey(headers: HeaderMap): Outcome {
    const settings = this.settings;
    const presented = headers.get(settings.apiKeyHeader);
    if (presented === null || presented.length == 0) return this.fail(Outcome.Absent, "no credentials");
    const bytes = String.UTF8.encode(presented);
    sha256Into(changetype<usize>(bytes), <usize>bytes.byteLength, DIGEST);
    if (digestListed(DIGEST, changetype<usize>(settings.digests), settings.digestCount)) return Outcome.Allow;
    return this.fail(Outcome.Invalid, "unknown API key");
  }

  /** The verified peer identity against `allowedPeers` (exact, or "*" for any). */
  private checkPeer(): Outcome {
    const peer = peerIdentity();
    if (peer === null) return this.fail(Outcome.Absent, "no peer identity");
    const peers = this.settings.peers;
    return peers.includes(peer) || peers.includes("*") ? Outcome.Allow : this.fail(Outcome.Forbidden, "peer not allowed");
  }

  private checkJwt(rule: Rule, headers: HeaderMap, stream: Context): Outcome {
    const settings = this.settings;
    const text = findToken(headers, settings);
    if (text === null) return this.fail(Outcome.Absent, "no credentials");
    const error = parseToken(text);
    if (error != "") return this.fail(Outcome.Invalid, error);
    const now = currentTimeNanos();
    const state = this.ensure(<i64>(now / 1_000_000));
    // A fetch is made on the root's behalf, which leaves the root current: the stream's
    // property reads (the peer identity) need the stream back.
    if (state != KeysState.Ready) stream.makeCurrent();
    if (state == KeysState.Wait) return Outcome.Wait;
    if (state == KeysState.Unavailable) return this.fail(Outcome.Unavailable, "keys unavailable");
    const key = selectKey(this.keys);
    if (key === null) return this.fail(Outcome.Invalid, "unknown key");
    const payload = checkToken(text, key, settings, <f64>now / 1e9);
    if (payload === null) return this.fail(tokenError == CRYPTO_UNAVAILABLE ? Outcome.Unavailable : Outcome.Invalid, tokenError);
    const claims = rule.claims;
    for (let i = 0; i < claims.length; i++) if (!claimMet(payload, unchecked(claims[i]))) return this.fail(Outcome.Forbidden, "insufficient claims");
    this.payload = payload;
    return Outcome.Allow;
  }

  /**
   * Sets the claim headers from `payload` (a JWT's) in `headers`, and removes those it cannot
   * set — all of them for other credentials — so a client cannot send them itself.
   */
  forwardClaims(payload: JsonValue | null, headers: HeaderMap): void {
    const forward = this.settings.forward;
    for (let i = 0; i < forward.length; i++) {
      const entry = unchecked(forward[i]);
      const claim: JsonValue | null = payload === null ? null : (payload as JsonValue).get(entry.name);
      const value: string | null = claim === null ? null : headerValue(claim as JsonValue);
      if (value !== null) headers.set(entry.header, value);
      else headers.remove(entry.header);
    }
  }
}
