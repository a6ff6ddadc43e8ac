/**
 * `import "weir/testing/matchers"` installs weir's vitest matchers — `toContinue`, `toPause`,
 * `toStop`, `toRespondWith`, `toHaveHeader`, `toHaveLogged` — and brings their types into
 * vitest's `Assertion`. Put it in a test file or in vitest's `setupFiles`.
 *
 * @example
 * ```ts
 * import "weir/testing/matchers";
 * expect(http.requestHeaders({ ":path": "/" })).toPause();
 * ```
 *
 * @module
 */

import { installMatchers } from "./install-matchers.ts";

installMatchers();

export { installMatchers, type ResponseExpectation, type WeirMatchers, weirMatchers } from "./install-matchers.ts";
