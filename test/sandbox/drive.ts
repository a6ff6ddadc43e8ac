/**
 * Drives one full HTTP stream through a filter the way a filter chain would, stopping at the
 * first local reply, and records what the filter chain was told.
 */

import { type Filter, HeaderMap, type LocalReply } from "../../proxy/abi/index.ts";

export interface DriveResult {
  replies: LocalReply[];
  resets: string[];
  request: HeaderMap;
  response: HeaderMap;
}

export function driveStream(filter: Filter, opts: { requestHeaders?: Record<string, string> } = {}): DriveResult {
  const replies: LocalReply[] = [];
  const resets: string[] = [];
  const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r), resetStream: (d) => resets.push(d) });
  const request = new HeaderMap({ ":method": "POST", ":path": "/", ":authority": "app", ...opts.requestHeaders });
  const response = new HeaderMap({ ":status": "200" });
  const steps = [
    () => stream.onRequestHeaders(request, false),
    () => stream.onRequestBody(new TextEncoder().encode("hello"), false),
    () => stream.onRequestTrailers(new HeaderMap({ "x-t": "1" })),
    () => stream.onResponseHeaders(response, false),
    () => stream.onResponseBody(new TextEncoder().encode("world"), false),
    () => stream.onResponseTrailers(new HeaderMap({ "x-t": "2" })),
  ];
  for (const step of steps) {
    if (replies.length > 0 || resets.length > 0) break;
    step();
  }
  stream.complete();
  return { replies, resets, request, response };
}
