// weir's auth filter: JWTs (HS*, RS*, PS*, ES*; keys inline or from a JWKS URL), API
// keys stored as SHA-256 digests, and an allow-list of mTLS peer identities (SPIFFE IDs),
// chosen per path prefix. A request without credentials gets 401 with an RFC 6750
// `WWW-Authenticate` challenge, one whose credentials are good but not enough gets 403, and
// what the token says can be forwarded upstream as headers (which clients cannot forge: the
// filter removes them first). Configuration reference: ../README.md.
//
// This file is the glue: the root reads the configuration and owns the JWKS fetch; each stream
// picks its rule, asks `Authorizer`, and continues, answers, or waits for the keys.
export * from "../../../sdk/assembly/exports";
import {
  Action,
  Config,
  currentTimeNanos,
  HeaderMap,
  HeaderPair,
  HttpCallResponse,
  HttpContext,
  RootContext,
  registerFilter,
} from "../../../sdk/assembly";
import { Authorizer, Outcome } from "./authorize";
import { isAmbiguousPath, matchRule } from "./paths";
import { Method, readSettings, Rule, unset } from "./settings";

/** Envoy's ext_authz response details: weir's access log flags these replies `UAEX`. */
const DENIED = "ext_authz_denied";
const ERROR = "ext_authz_error";

/** The root: reads the settings, keeps the keys (`KeyCache`), decides requests (`Authorizer`). */
class AuthRoot extends Authorizer {
  /** Streams paused until the JWKS arrives. */
  waiting: AuthStream[] = [];

  onConfigure(config: Config): bool {
    const settings = readSettings(config);
    if (config.errors.length > 0) return false;
    this.useSettings(settings);
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new AuthStream(id, this);
  }

  /** The JWKS arrived (or the fetch failed): decide every stream that waited for it. */
  onHttpCallResponse(token: u32, response: HttpCallResponse): void {
    if (!this.onResponse(token, response, <i64>(currentTimeNanos() / 1_000_000))) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (let i = 0; i < waiting.length; i++) {
      const stream = unchecked(waiting[i]);
      if (stream.alive) stream.resume();
    }
  }
}

class AuthStream extends HttpContext {
  /** The rule this request falls under (set first thing in `onRequestHeaders`, before any use). */
  rule: Rule = unset<Rule>();

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as AuthRoot;
    const settings = root.settings;
    const headers = this.requestHeaders;
    let rule = settings.defaultRule;
    if (settings.rules.length > 0) {
      const found = headers.get(":path");
      const path = found === null ? "" : found;
      if (isAmbiguousPath(path)) {
        // A server behind may resolve `/public/../admin` to a path another rule covers.
        this.sendLocalResponse(400, "ambiguous path\n", [], DENIED);
        return Action.Pause;
      }
      rule = matchRule(settings.rules, path, rule);
    }
    this.rule = rule;
    if (rule.mask == 0) {
      root.forwardClaims(null, headers);
      return Action.Continue;
    }
    return this.decide(headers) ? Action.Continue : Action.Pause;
  }

  /** Decides the request; true when it may go on now. Otherwise it was answered, or waits for the keys. */
  decide(headers: HeaderMap): bool {
    const root = this.root as AuthRoot;
    const outcome = root.authorize(this.rule, headers, this);
    if (outcome == Outcome.Allow) {
      root.forwardClaims(root.payload, headers);
      return true;
    }
    if (outcome == Outcome.Wait) root.waiting.push(this);
    else this.deny(outcome, root.method, root.reason);
    return false;
  }

  /** Called by the root when the keys this stream waited for arrived (or did not). */
  resume(): void {
    this.makeCurrent();
    if (this.decide(this.requestHeaders)) this.continueRequest();
  }

  /**
   * Answers for `outcome`: 503 when the keys are unavailable; 403 when the credential is good
   * but not allowed, or when only a peer identity would do (nothing to challenge); 401
   * otherwise, with a challenge per scheme the rule accepts — RFC 6750 §3.1: an error code only
   * for a presented token.
   */
  private deny(outcome: Outcome, method: Method, reason: string): void {
    const rule = this.rule;
    const challenged = rule.accepts(Method.Jwt) || rule.accepts(Method.ApiKey);
    const status: u32 = outcome == Outcome.Unavailable ? 503 : outcome == Outcome.Forbidden || !challenged ? 403 : 401;
    const error = method != Method.Jwt || status == 503 ? "" : status == 403 ? "insufficient_scope" : outcome == Outcome.Invalid ? "invalid_token" : "";
    const realm = (this.root as AuthRoot).settings.realm;
    const headers = new Array<HeaderPair>();
    if (rule.accepts(Method.Jwt) && (status == 401 || error != "")) {
      headers.push(new HeaderPair("www-authenticate", "Bearer " + realm + (error == "" ? "" : ', error="' + error + '", error_description="' + reason + '"')));
    }
    if (status == 401 && rule.accepts(Method.ApiKey)) headers.push(new HeaderPair("www-authenticate", "ApiKey " + realm));
    this.sendLocalResponse(status, reason + "\n", headers, status == 503 ? ERROR : DENIED);
  }
}

registerFilter((id: u32): RootContext => new AuthRoot(id));
