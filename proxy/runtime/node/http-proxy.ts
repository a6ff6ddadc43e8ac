/**
 * Request targets in the forms a forward proxy receives (RFC 9112 §3.2): the app sets
 * `HTTP_PROXY=http://127.0.0.1:<port>` and sends `GET http://orders.svc:8080/x HTTP/1.1`
 * (absolute-form), or `CONNECT orders.svc:443 HTTP/1.1` (authority-form) for a tunnel. Both
 * become an origin-form request whose authority is the target, so the listener's virtual hosts
 * route it as if the app had called the service directly. Any listener accepts absolute-form,
 * as RFC 9112 requires of servers; only `direction: http-proxy` listeners accept CONNECT.
 */

import type { DownstreamRequest } from "../../core/http/types.ts";

/** A request target that cannot be served; the listener answers `status` and closes. */
export class TargetError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const ABSOLUTE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/;

/**
 * Splits an absolute-form target into authority and origin-form path, or returns undefined for
 * any other form. The path keeps its bytes as sent (no URL normalization): routing and the app
 * see what the client wrote.
 */
export function parseAbsoluteForm(target: string): { scheme: "http" | "https"; authority: string; path: string } | undefined {
  if (target.startsWith("/") || target === "*") return undefined;
  const m = ABSOLUTE.exec(target);
  if (m === null) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== "http" && scheme !== "https") throw new TargetError(400, `unsupported scheme in request target: ${scheme}`);
  let authority = m[2];
  const at = authority.lastIndexOf("@");
  if (at !== -1) authority = authority.slice(at + 1); // userinfo is never forwarded (RFC 9110 §4.2.4)
  if (authority === "") throw new TargetError(400, "empty authority in request target");
  let path = target.slice(m[0].length);
  const hash = path.indexOf("#");
  if (hash !== -1) path = path.slice(0, hash);
  if (path === "" || path.startsWith("?")) path = `/${path}`;
  return { scheme, authority, path };
}

/** `host:port` of a CONNECT request (authority-form); throws TargetError when it is not one. */
export function parseAuthorityForm(target: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s/?#@:[\]]+):(\d{1,5})$/.exec(target);
  if (m === null || Number(m[2]) > 65535) throw new TargetError(400, `CONNECT needs a host:port target, got ${JSON.stringify(target)}`);
  return target;
}

/**
 * Rewrites an absolute-form request to origin form with the target's authority (the Host
 * header is then ignored, RFC 9112 §3.2.2); other requests pass unchanged. A CONNECT request
 * gets the path `/`, so the matching virtual host's catch-all route picks its cluster.
 */
export function normalizeTarget(req: DownstreamRequest): DownstreamRequest {
  if (req.method === "CONNECT") {
    req.authority = parseAuthorityForm(req.path);
    req.path = "/";
    return req;
  }
  const absolute = parseAbsoluteForm(req.path);
  if (absolute === undefined) return req;
  req.authority = absolute.authority;
  req.path = absolute.path;
  return req;
}
