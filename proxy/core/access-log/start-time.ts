/**
 * `%START_TIME%` rendering. The default is Envoy's: ISO 8601 in UTC with milliseconds
 * (`2016-04-15T20:17:00.310Z`), built from a per-second cache so a log line does not allocate
 * a `Date`. `%START_TIME(fmt)%` takes the strftime subset Envoy users write most, all in UTC:
 * `%Y %m %d %H %M %S %j %F %T %z %Z %s %%`, fractions `%f %3f %6f %9f` and `%E3S %E6S %E9S`
 * (seconds with decimals, as Envoy's own default `%Y-%m-%dT%H:%M:%E3SZ`). Times have
 * millisecond resolution, so digits past the third are zeros.
 */

let cachedSecond = Number.NaN;
let cachedPrefix = "";

/**
 * `2016-04-15T20:17:00.310Z` for a time in ms since the epoch.
 *
 * @example
 * ```ts
 * isoStartTime(Date.UTC(2016, 3, 15, 20, 17, 0, 310)); // "2016-04-15T20:17:00.310Z"
 * ```
 */
export function isoStartTime(ms: number): string {
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  const frac = whole - second * 1000;
  return `${cachedPrefix}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

type Part = string | ((d: Date) => string);

/**
 * Compiles a strftime-style `%START_TIME(fmt)%` format into a function of ms since the epoch.
 * Throws `SyntaxError` for a specifier it does not know, naming it.
 */
export function compileStartTime(format: string): (ms: number) => string {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%") {
      literal += c;
      continue;
    }
    const rest = format.slice(i + 1);
    const m = /^(?:E([369])S|([369])?f|([YmdHMSjFTzZs%]))/.exec(rest);
    if (!m)
      throw new SyntaxError(`Cannot use START_TIME format ${JSON.stringify(format)}: unknown specifier "%${rest.slice(0, 1)}" at ${i}`);
    i += m[0].length;
    if (m[3] === "%") {
      literal += "%";
      continue;
    }
    if (literal) parts.push(literal);
    literal = "";
    parts.push(specifier(m));
  }
  if (literal) parts.push(literal);
  return (ms) => {
    const d = new Date(Math.floor(ms));
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : p(d);
    return out;
  };
}

function fraction(d: Date, digits: number): string {
  return pad(d.getUTCMilliseconds(), 3).padEnd(digits, "0").slice(0, digits);
}

function specifier(m: RegExpExecArray): (d: Date) => string {
  if (m[1]) {
    const digits = Number(m[1]);
    return (d) => `${pad(d.getUTCSeconds(), 2)}.${fraction(d, digits)}`;
  }
  if (m[0].endsWith("f")) {
    const digits = m[2] ? Number(m[2]) : 9;
    return (d) => fraction(d, digits);
  }
  switch (m[3]) {
    case "Y":
      return (d) => pad(d.getUTCFullYear(), 4);
    case "m":
      return (d) => pad(d.getUTCMonth() + 1, 2);
    case "d":
      return (d) => pad(d.getUTCDate(), 2);
    case "H":
      return (d) => pad(d.getUTCHours(), 2);
    case "M":
      return (d) => pad(d.getUTCMinutes(), 2);
    case "S":
      return (d) => pad(d.getUTCSeconds(), 2);
    case "j":
      return (d) => pad(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
    case "F":
      return (d) => d.toISOString().slice(0, 10);
    case "T":
      return (d) => d.toISOString().slice(11, 19);
    case "z":
      return () => "+0000";
    case "Z":
      return () => "UTC";
    default: // "s"
      return (d) => String(Math.floor(d.getTime() / 1000));
  }
}
