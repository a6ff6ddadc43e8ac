/**
 * Strict mode: ABI misuse by the filter fails the test. The host reports misuse through its
 * `onAbiMisuse` option — a header map read or written outside its window, a stream's headers
 * or body touched from a context that is not a stream (a forgotten `proxy_set_effective_context`),
 * a stream action (continue, local response, close) from the root context — and answers the
 * filter as Envoy would, so a filter that misuses the ABI often "works" in a test and breaks
 * on another host. In strict mode the next drive or inspection after a misuse throws an
 * {@linkcode AbiMisuseError}, and so does the end of the test if nothing looked.
 */

import { WeirError } from "../../proxy/abi/index.ts";

/**
 * The filter misused the proxy-wasm ABI (strict mode). `misuse` lists each report, prefixed
 * by the callback it happened in.
 *
 * @example
 * ```ts
 * try {
 *   http.responseHeaders({ ":status": "200" });
 * } catch (err) {
 *   if (err instanceof AbiMisuseError) console.log(err.misuse);
 * }
 * ```
 */
export class AbiMisuseError extends WeirError {
  readonly filter: string;
  readonly misuse: string[];
  constructor(filter: string, misuse: string[], attempted: string) {
    const list = misuse.map((m) => `  - ${m}`).join("\n");
    super(
      "WEIR_ABI_MISUSE",
      `strict mode: filter "${filter}" misused the proxy-wasm ABI (noticed at ${attempted}):\n${list}\n` +
        "Assert on host.abiMisuse to expect misuse, or create the host with strict: false.",
    );
    this.filter = filter;
    this.misuse = misuse;
  }
}

/** Collects misuse reports and, in strict mode, turns unseen ones into an error. */
export class MisuseLog {
  readonly strict: boolean;
  readonly #filter: () => string;
  readonly #entries: string[] = [];
  #seen = 0;

  constructor(strict: boolean, filter: () => string) {
    this.strict = strict;
    this.#filter = filter;
  }

  /** The host's `onAbiMisuse`. */
  record(message: string): void {
    this.#entries.push(message);
  }

  /** Every report so far; reading them counts as looking, so strict mode lets them pass. */
  acknowledge(): string[] {
    this.#seen = this.#entries.length;
    return [...this.#entries];
  }

  /** In strict mode, throws for reports nobody has looked at yet (each is thrown once). */
  check(attempted: string): void {
    if (!this.strict || this.#seen === this.#entries.length) return;
    const unseen = this.#entries.slice(this.#seen);
    this.#seen = this.#entries.length;
    throw new AbiMisuseError(this.#filter(), unseen, attempted);
  }
}
