// Typed helpers for the standard attributes (Envoy's attribute vocabulary, which weir
// answers too: request.* from the live request headers, connection/source/destination from
// the stream's connection, plugin_* for the filter). Each reads a property of the context
// whose callback is running; null / the fallback when the host does not know it.
// https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes

import { getPropertyBool, getPropertyInt, getPropertyString } from "./abi/property";

/** `request.path`: the path with the query string. */
export function requestPath(): string | null {
  return getPropertyString("request.path");
}
/** `request.url_path`: the path without the query string. */
export function requestUrlPath(): string | null {
  return getPropertyString("request.url_path");
}
/** `request.query`: the query string without `?`. */
export function requestQuery(): string | null {
  return getPropertyString("request.query");
}
/** `request.method`. */
export function requestMethod(): string | null {
  return getPropertyString("request.method");
}
/** `request.host`: the `:authority` (host) of the request. */
export function requestHost(): string | null {
  return getPropertyString("request.host");
}
/** `request.scheme`: `http` or `https`. */
export function requestScheme(): string | null {
  return getPropertyString("request.scheme");
}
/** `request.id`: the `x-request-id`. */
export function requestId(): string | null {
  return getPropertyString("request.id");
}
/** `request.protocol`: e.g. `HTTP/1.1`, `HTTP/2`. */
export function requestProtocol(): string | null {
  return getPropertyString("request.protocol");
}
/** `request.useragent`. */
export function requestUserAgent(): string | null {
  return getPropertyString("request.useragent");
}
/** `request.referer`. */
export function requestReferer(): string | null {
  return getPropertyString("request.referer");
}
/** `source.address`: the downstream peer's `ip:port`. */
export function sourceAddress(): string | null {
  return getPropertyString("source.address");
}
/** `source.port`, or -1. */
export function sourcePort(): i64 {
  return getPropertyInt("source.port", -1);
}
/** `destination.address`: the local address the connection came in on. */
export function destinationAddress(): string | null {
  return getPropertyString("destination.address");
}
/** `destination.port`, or -1. */
export function destinationPort(): i64 {
  return getPropertyInt("destination.port", -1);
}
/** `connection.id`, or -1. */
export function connectionId(): i64 {
  return getPropertyInt("connection.id", -1);
}
/** `connection.mtls`: whether the downstream presented a verified client certificate. */
export function connectionMtls(): bool {
  return getPropertyBool("connection.mtls", false);
}
/** `connection.requested_server_name`: the SNI. */
export function connectionServerName(): string | null {
  return getPropertyString("connection.requested_server_name");
}
/** `connection.tls_version`, e.g. `TLSv1.3`. */
export function connectionTlsVersion(): string | null {
  return getPropertyString("connection.tls_version");
}
/** `upstream.address`: the upstream host this request went to. */
export function upstreamAddress(): string | null {
  return getPropertyString("upstream.address");
}
/** `response.code` (after the response started), or -1. */
export function responseCode(): i64 {
  return getPropertyInt("response.code", -1);
}
/** `plugin_name`: the filter's name. */
export function pluginName(): string | null {
  return getPropertyString("plugin_name");
}
/** `plugin_root_id`: the filter's root id. */
export function pluginRootId(): string | null {
  return getPropertyString("plugin_root_id");
}
/** `plugin_vm_id`: the filter's vm id (filters with the same one share data and queues). */
export function pluginVmId(): string | null {
  return getPropertyString("plugin_vm_id");
}
