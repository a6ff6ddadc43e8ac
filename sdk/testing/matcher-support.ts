/**
 * The parts of weir's matchers that read test objects: header sets in any shape, a stream's
 * state in words, and the comparison of a local response with what a test expects.
 */

import { type HeaderInit, HeaderMap } from "../../proxy/abi/index.ts";
import { matches } from "./logs.ts";
import type { LocalResponse } from "./views.ts";

/** What `toRespondWith` may check beside the status; each given field must match. */
export interface ResponseExpectation {
  /** The body, exactly (string) or matching (RegExp). */
  body?: string | RegExp;
  /** Headers that must be present with these values (others may be present too). */
  headers?: HeaderInit;
  /** Envoy's response code details, e.g. `auth_denied`. */
  details?: string;
}

/** `[name, value]` pairs (names lower-cased) of a header set, or undefined when there is none. */
export function headerPairs(received: unknown): [string, string][] | undefined {
  if (received === undefined || received === null) return undefined;
  if (received instanceof HeaderMap) return received.entries();
  if (Array.isArray(received) || typeof received === "object") {
    try {
      return new HeaderMap(received as HeaderInit).entries();
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A value in a failure message: strings quoted, RegExps as written, objects as JSON. */
export function show(value: unknown): string {
  if (value instanceof RegExp || typeof value === "function" || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `401 with body "nope", details "denied", headers {"x-a":"1"}`. */
export function describeExpectation(status: number, expected: ResponseExpectation): string {
  const parts: string[] = [];
  if (expected.body !== undefined) parts.push(`body ${show(expected.body)}`);
  if (expected.details !== undefined) parts.push(`details ${show(expected.details)}`);
  if (expected.headers !== undefined) parts.push(`headers ${show(new HeaderMap(expected.headers).entries())}`);
  return parts.length === 0 ? String(status) : `${status} with ${parts.join(", ")}`;
}

/** A stream's state in words, for failure messages. */
export function describeStream(received: object): string {
  const s = received as { action?: string; localResponse?: LocalResponse; reset?: string };
  if (s.localResponse)
    return `the stream stopped with local response ${s.localResponse.status} (${s.localResponse.details || "no details"})`;
  if (s.reset) return `the stream was reset (${s.reset})`;
  return `the stream's action is ${s.action}`;
}

/** Whether `received.localResponse` is `status` with `expected`, and a description of what it is. */
export function respondedAs(received: object, status: number, expected: ResponseExpectation): { pass: boolean; actual: string } {
  const reply = (received as { localResponse: LocalResponse | undefined }).localResponse;
  if (reply === undefined) return { pass: false, actual: `no local response was sent (${describeStream(received)})` };
  const problems: string[] = [];
  if (reply.status !== status) problems.push(`status ${reply.status}`);
  if (expected.body !== undefined) {
    const ok = typeof expected.body === "string" ? reply.body === expected.body : matches(reply.body, expected.body);
    if (!ok) problems.push(`body ${JSON.stringify(reply.body)}`);
  }
  if (expected.details !== undefined && reply.details !== expected.details) problems.push(`details "${reply.details}"`);
  for (const [name, value] of new HeaderMap(expected.headers)) {
    if (!reply.headers.getAll(name).includes(value)) problems.push(`header "${name}" is ${JSON.stringify(reply.headers.getAll(name))}`);
  }
  const whole = `it is ${reply.status} ${JSON.stringify(reply.body)} (details "${reply.details}", headers ${JSON.stringify(reply.headers.entries())})`;
  return { pass: problems.length === 0, actual: problems.length === 0 ? whole : `${problems.join(", ")}: ${whole}` };
}
