// The root's first layer: signing keys fetched from a JWKS URL — one http call on first need,
// cached for `jwksCacheSeconds` and shared with every filter instance of the same vm_id through
// shared data (so one fetch serves all workers), refetched when they expire.
//
// While a fetch is under way, requests that need the keys wait (the stream pauses; the root
// resumes it when the answer arrives). A failed fetch keeps the keys fetched before — an
// identity provider's outage does not turn valid tokens away — and the next fetch waits
// RETRY_MS; with no keys at all, requests get a 503 meanwhile.

import { getSharedData, HeaderPair, HttpCallResponse, logWarn, parseJson, RootContext, setSharedData } from "../../../sdk/assembly";
import { Jwk, readJwks, unusableKeys } from "./jwk";
import { Settings, unset } from "./settings";

/** How long after a failed fetch the next one may start. */
export const RETRY_MS: i64 = 10_000;

/** Whether keys are there for a request. */
export enum KeysState {
  Ready,
  /** A fetch is under way: wait for `onResponse`. */
  Wait,
  /** No keys and no fetch (the last one failed, or the call was refused). */
  Unavailable,
}

/**
 * The keys of the JWKS URL the settings name, kept by the root (`AuthRoot` extends this
 * through `Authorizer`). With inline keys, `keys` are those and nothing is fetched.
 */
export class KeyCache extends RootContext {
  /** Set by `useSettings` in `onConfigure`, before any stream exists (no stream, no use before). */
  settings: Settings = unset<Settings>();
  keys: Jwk[] = unset<Jwk[]>();
  /** When the keys were fetched (ms since the epoch); 0 before the first fetch. */
  fetchedAt: i64 = 0;
  /** Token of the call under way, 0 when none. */
  pending: u32 = 0;
  /** No fetch starts before this time (ms), after a failure. */
  retryAt: i64 = 0;
  /** Shared-data key: one per JWKS URL. The value: fetch time (i64 ms, little-endian), then the JWKS. */
  sharedKey: string = "";

  /** Takes new settings: inline keys, or none until fetched. */
  useSettings(settings: Settings): void {
    this.settings = settings;
    this.keys = settings.keys;
    this.fetchedAt = 0;
    this.sharedKey = "weir.auth.jwks " + settings.jwksAuthority + settings.jwksPath;
  }

  /** Whether keys are usable at `now`, starting a fetch (made by this root) when they are missing or stale. */
  ensure(now: i64): KeysState {
    if (this.settings.jwksCluster == "" || (this.fetchedAt != 0 && now < this.fetchedAt + this.settings.jwksCacheMs)) return KeysState.Ready;
    if (this.pending != 0) return KeysState.Wait;
    // Another filter instance (another worker) may have fetched them meanwhile.
    const stored = getSharedData(this.sharedKey);
    if (stored !== null && stored.value.byteLength > 8) {
      const bytes = changetype<usize>(stored.value);
      const fetchedAt = load<i64>(bytes);
      if (fetchedAt > this.fetchedAt && now < fetchedAt + this.settings.jwksCacheMs) {
        const keys = parse(bytes + 8, stored.value.byteLength - 8);
        if (keys !== null) {
          this.keys = keys;
          this.fetchedAt = fetchedAt;
          return KeysState.Ready;
        }
      }
    }
    if (now >= this.retryAt) {
      const s = this.settings;
      const headers = [new HeaderPair(":method", "GET"), new HeaderPair(":path", s.jwksPath), new HeaderPair(":authority", s.jwksAuthority)];
      this.pending = this.httpCall(s.jwksCluster, headers, null, s.jwksTimeoutMs);
      if (this.pending != 0) return KeysState.Wait;
      this.retryAt = now + RETRY_MS; // refused (the host logged why): unknown cluster, or not among the capabilities
    }
    // Between a failed fetch and the next one: the keys fetched before, if any.
    return this.fetchedAt != 0 ? KeysState.Ready : KeysState.Unavailable;
  }

  /** Takes the answer to call `token`; false when it was not this cache's call. */
  onResponse(token: u32, response: HttpCallResponse, now: i64): bool {
    if (token != this.pending) return false;
    this.pending = 0;
    const body: ArrayBuffer | null = response.status == 200 ? response.body() : null;
    const keys: Jwk[] | null = body === null ? null : parse(changetype<usize>(body), (body as ArrayBuffer).byteLength);
    if (keys === null || body === null) {
      this.retryAt = now + RETRY_MS;
      logWarn("auth: no JWKS from the fetch, status " + response.status.toString());
      return true;
    }
    this.keys = keys as Jwk[];
    this.fetchedAt = now;
    const stored = new ArrayBuffer(8 + body.byteLength);
    store<i64>(changetype<usize>(stored), now);
    memory.copy(changetype<usize>(stored) + 8, changetype<usize>(body), <usize>body.byteLength);
    setSharedData(this.sharedKey, stored);
    return true;
  }
}

/** The signing keys of the JWKS document of `size` bytes at `at`; null when it has none. Unusable keys are skipped (and logged). */
function parse(at: usize, size: i32): Jwk[] | null {
  const json = parseJson(String.UTF8.decodeUnsafe(at, <usize>size)).value;
  if (json === null) return null;
  const keys = readJwks(json, at);
  if (unusableKeys > 0) logWarn("auth: JWKS: unusable keys skipped: " + unusableKeys.toString());
  return keys.length == 0 ? null : keys;
}
