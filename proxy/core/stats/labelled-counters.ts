/**
 * Counters split by one label whose values are not known at setup (a status code, a response
 * flag). Each value's counter is registered the first time it occurs and cached, so later
 * occurrences cost an array index (status codes) or one map lookup (anything else) — no
 * string building on the hot path.
 */

import type { Counter } from "./metric.ts";
import type { Labels, StatsRegistry } from "./registry.ts";

/**
 * One counter per value of `label`.
 *
 * @example
 * ```ts
 * const flags = new CounterVec(registry, "http.downstream_rq_response_flags_total", { listener: "inbound" }, "response_flag");
 * flags.get("UO").inc();
 * ```
 */
export class CounterVec {
  #registry: StatsRegistry;
  #name: string;
  #labels: Labels;
  #label: string;
  #help: string;
  #byValue = new Map<string, Counter>();

  constructor(registry: StatsRegistry, name: string, labels: Labels, label: string, help = "") {
    this.#registry = registry;
    this.#name = name;
    this.#labels = labels;
    this.#label = label;
    this.#help = help;
  }

  /** The counter for `value`, registered on first use. */
  get(value: string): Counter {
    let counter = this.#byValue.get(value);
    if (counter === undefined) {
      counter = this.#registry.counter(this.#name, { ...this.#labels, [this.#label]: value }, this.#help);
      this.#byValue.set(value, counter);
    }
    return counter;
  }
}

/**
 * Envoy's per-code and per-class response counters: `<name>{response_code="503"}` and
 * `<name>_xx{response_code_class="5xx"}` (Envoy's `upstream_rq_503` and `upstream_rq_5xx`
 * after its default tag extraction). The five class counters exist from setup.
 *
 * @example
 * ```ts
 * const responses = new ResponseCodeCounters(registry, "cluster.upstream_rq", { cluster: "backend" });
 * responses.record(503); // upstream_rq{response_code="503"} and upstream_rq_xx{response_code_class="5xx"}
 * ```
 */
export class ResponseCodeCounters {
  /** Index 1…5: the 1xx…5xx counters. */
  readonly classes: readonly Counter[];
  #registry: StatsRegistry;
  #name: string;
  #labels: Labels;
  #byCode: (Counter | undefined)[] = [];

  constructor(registry: StatsRegistry, name: string, labels: Labels) {
    this.#registry = registry;
    this.#name = name;
    this.#labels = labels;
    const classes: Counter[] = [];
    for (let c = 1; c <= 5; c++) {
      classes[c] = registry.counter(`${name}_xx`, { ...labels, response_code_class: `${c}xx` }, "Responses by status class");
    }
    this.classes = classes;
  }

  /** Counts one response. Codes outside 100…599 (0: no response was sent) are not counted. */
  record(status: number): void {
    if (!(status >= 100 && status <= 599)) return;
    const code = status | 0;
    this.classes[(code / 100) | 0].value++;
    let counter = this.#byCode[code];
    if (counter === undefined) {
      counter = this.#registry.counter(this.#name, { ...this.#labels, response_code: String(code) }, "Responses by status code");
      this.#byCode[code] = counter;
    }
    counter.value++;
  }
}
