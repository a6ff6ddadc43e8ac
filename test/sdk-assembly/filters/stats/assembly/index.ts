// Metrics and the tick timer: a counter, a gauge, a histogram and a tagged counter family,
// defined in onConfigure; the tick (every 1000 ms) counts itself in a gauge.
export * from "../../../../../sdk/assembly/exports";
import { Action, Config, Counter, Gauge, Histogram, HttpContext, MetricFamily, RootContext, registerFilter } from "../../../../../sdk/assembly";

class StatsRoot extends RootContext {
  requests: Counter = new Counter(0);
  active: Gauge = new Gauge(0);
  ticks: Gauge = new Gauge(0);
  sizes: Histogram = new Histogram(0);
  responses: MetricFamily<Counter> = Counter.family("responses", ["method", "code"]);
  tickCount: u64 = 0;

  onConfigure(config: Config): bool {
    this.requests = Counter.define("requests");
    this.active = Gauge.define("active");
    this.ticks = Gauge.define("ticks");
    this.sizes = Histogram.define("request_size");
    this.setTickPeriod(1000);
    return true;
  }

  onTick(): void {
    this.tickCount++;
    this.ticks.set(this.tickCount);
  }

  createHttpContext(id: u32): HttpContext | null {
    return new StatsStream(id, this);
  }
}

class StatsStream extends HttpContext {
  method: string = "";

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as StatsRoot;
    root.requests.increment();
    root.active.add(1);
    root.sizes.record(headerCount);
    const method = this.requestHeaders.get(":method");
    this.method = method === null ? "-" : method;
    this.requestHeaders.set("x-requests", root.requests.value().toString());
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const status = this.responseHeaders.get(":status");
    (this.root as StatsRoot).responses.with([this.method, status === null ? "-" : status]).increment();
    return Action.Continue;
  }

  onDelete(): void {
    (this.root as StatsRoot).active.add(-1);
  }
}

registerFilter((id: u32): RootContext => new StatsRoot(id));
