// What the routes look at, read from the request headers lazily and at most once per
// request: `:path` is always needed, `:method` only when a route lists methods, the query
// only when a route tests a parameter. One instance is reused for every request (a filter
// VM runs one callback at a time).

import { HeaderMap } from "../../../sdk/assembly";
import { find, queryParam } from "./matchers";

export class RequestView {
  headers: HeaderMap | null = null;
  /** `:path` with its query ("" when absent). */
  path: string = "";
  /** Index of the `?` in `path`, or its length: the path proper is `path[0, pathEnd)`. */
  pathEnd: i32 = 0;
  private methodValue: string | null = null;

  reset(headers: HeaderMap): void {
    this.headers = headers;
    const path = headers.get(":path");
    this.path = path === null ? "" : path;
    this.pathEnd = find(this.path, 0x3f, 0); // ?
    this.methodValue = null;
  }

  /** `:method` ("" when absent). */
  method(): string {
    const known = this.methodValue;
    if (known !== null) return known;
    const method = this.headers!.get(":method");
    const value = method === null ? "" : method;
    this.methodValue = value;
    return value;
  }

  /** The first value of header `name` (lower-case), or null. */
  header(name: string): string | null {
    return this.headers!.get(name);
  }

  /** Query parameter `name`, decoded ("" when given without a value), or null. */
  query(name: string): string | null {
    return this.pathEnd < this.path.length ? queryParam(this.path, this.pathEnd, name) : null;
  }

  /** The path without its query. */
  pathOnly(): string {
    return this.pathEnd == this.path.length ? this.path : this.path.substring(0, this.pathEnd);
  }

  /** The query with its `?`, or "". */
  queryPart(): string {
    return this.pathEnd == this.path.length ? "" : this.path.substring(this.pathEnd);
  }
}
