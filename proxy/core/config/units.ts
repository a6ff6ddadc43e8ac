/**
 * Durations, sizes and `host:port` addresses as people write them in YAML. Each parser
 * returns the value in the proxy's units (ms, bytes) or throws a `RangeError` whose message
 * completes "<field>: …" and quotes the input.
 */

import { didYouMean, suggest } from "./suggest.ts";

/** The longest timer every runtime honours (setTimeout fires at once beyond 2^31-1 ms). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)([a-zA-Zµ]+)/y;

/**
 * Parses "250ms", "10s", "1m", "1h" or a sequence like "1m30s"; a number is milliseconds.
 * The result is whole milliseconds from 0 to {@link MAX_DURATION_MS}.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * parseDuration(250); // 250
 * parseDuration("10"); // throws RangeError: must be a duration like "250ms", "10s" or "1m", got "10" (did you mean "10ms"?)
 * ```
 */
export function parseDuration(value: string | number): number {
  const expected = 'must be a duration like "250ms", "10s" or "1m"';
  if (typeof value === "number") return checkDuration(value, String(value));
  const text = value.trim();
  if (text === "") throw new RangeError(`${expected}, got ""`);
  if (/^\d+(\.\d+)?$/.test(text)) throw new RangeError(`${expected}, got "${value}" (did you mean "${text}ms"?)`);
  let total = 0;
  let offset = 0;
  while (offset < text.length) {
    DURATION_PART.lastIndex = offset;
    const match = DURATION_PART.exec(text);
    if (match === null) throw new RangeError(`${expected}, got ${JSON.stringify(value)}`);
    const unit = DURATION_UNITS[match[2]];
    if (unit === undefined) {
      const hint = didYouMean(match[2], Object.keys(DURATION_UNITS));
      throw new RangeError(`${expected}, got ${JSON.stringify(value)}: unknown unit "${match[2]}"${hint}; use ms, s, m or h`);
    }
    total += Number(match[1]) * unit;
    offset = DURATION_PART.lastIndex;
  }
  return checkDuration(Math.round(total), JSON.stringify(value));
}

function checkDuration(ms: number, shown: string): number {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`must be a duration from 0 (a number is whole milliseconds), got ${shown}`);
  if (ms > MAX_DURATION_MS) throw new RangeError(`must be at most ${MAX_DURATION_MS}ms (about 24.8 days, the longest timer), got ${shown}`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
};

/**
 * Parses "60KiB", "64MiB", "1GB", "512B" (an optional space before the unit is allowed); a
 * number is bytes. KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000.
 *
 * @example
 * ```ts
 * parseSize("60KiB"); // 61440
 * parseSize(4096); // 4096
 * parseSize("64mb"); // throws RangeError: … (did you mean "64MB"?)
 * ```
 */
export function parseSize(value: string | number): number {
  const expected = 'must be a size like "60KiB", "64MiB" or a number of bytes';
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${expected} (a whole number from 0), got ${value}`);
    return value;
  }
  const match = /^(\d+(?:\.\d+)?) ?([A-Za-z]*)$/.exec(value.trim());
  if (match === null) throw new RangeError(`${expected}, got ${JSON.stringify(value)}`);
  const [, amount, unit] = match;
  if (unit === "") throw new RangeError(`${expected}, got ${JSON.stringify(value)} (write a number without quotes for bytes)`);
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) {
    const hit = suggest(unit, Object.keys(SIZE_UNITS));
    const fixed = hit === undefined ? "" : ` (did you mean "${amount}${hit}"?)`;
    throw new RangeError(`${expected}, got ${JSON.stringify(value)}: unknown unit "${unit}"${fixed}; use B, KB, MB, GB, KiB, MiB or GiB`);
  }
  const bytes = Number(amount) * factor;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${expected} that comes to a whole number of bytes, got ${JSON.stringify(value)}`);
  return bytes;
}

/**
 * Splits "host:port" (IPv6 in brackets: "[::1]:8080"). The host comes back without brackets.
 *
 * @example
 * ```ts
 * parseHostPort("backend.default.svc:8080"); // { host: "backend.default.svc", port: 8080 }
 * parseHostPort("[::1]:9901"); // { host: "::1", port: 9901 }
 * ```
 */
export function parseHostPort(value: string, minPort = 1): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):([0-9]+)$/.exec(value);
  if (match === null) throw new RangeError(`must be "host:port" (IPv6 as "[::1]:port"), got ${JSON.stringify(value)}`);
  return { host: match[1] ?? match[2], port: parsePort(Number(match[3]), match[3], minPort) };
}

/** Checks a port number (1–65535; `minPort` 0 where a socket binds: 0 asks for any free port). */
export function parsePort(value: number, shown: string = String(value), minPort = 1): number {
  if (!Number.isInteger(value) || value < minPort || value > 65535)
    throw new RangeError(`must be an integer from ${minPort} to 65535, got ${shown}`);
  return value;
}

/** True for a host name, IPv4 or (unbracketed) IPv6 literal. */
export function isHost(value: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(value) || /^[0-9A-Fa-f:.]+$/.test(value);
}
