/**
 * weir's powers beyond the proxy-wasm ABI, reached through the ABI's own extension points —
 * foreign functions and properties — never through new imports, so filters stay loadable by
 * any proxy-wasm host. Names and encodings are specified in `EXTENSIONS.md` beside this file.
 */

import { LogLevel, Status } from "./enums.ts";
import { decodePairsRaw } from "./pairs.ts";
import type { HttpStream } from "./stream.ts";
import type { ForeignFunction } from "./types.ts";
import { encodeUtf8 } from "./utf8.ts";
import type { FilterVm } from "./vm.ts";

/** `weir.retry`: args empty or a u32le delay in ms; result one byte, 1 = accepted, 0 = refused. */
const retry: ForeignFunction = (args, call) => {
  if (call.stream === undefined) throw new TypeError("weir.retry needs a stream context");
  if (args.byteLength !== 0 && args.byteLength !== 4) throw new TypeError("weir.retry takes no arguments or a u32le delay in ms");
  const delay = args.byteLength === 4 ? new DataView(args.buffer, args.byteOffset, 4).getUint32(0, true) : undefined;
  const accepted = call.stream.callbacks.requestRetry?.(delay) ?? false;
  return Uint8Array.of(accepted ? 1 : 0);
};

/** The built-in foreign functions; `weir.verify_signature` needs the runtime's crypto. */
export function builtinForeignFunctions(
  crypto: { verify: (alg: string, key: Uint8Array, data: Uint8Array, sig: Uint8Array) => boolean } | undefined,
): Map<string, ForeignFunction> {
  const fns = new Map<string, ForeignFunction>([["weir.retry", retry]]);
  if (crypto !== undefined) {
    fns.set("weir.verify_signature", (args) => {
      // Values stay bytes: a raw signature, an HMAC secret or signed data may be binary.
      const pairs = decodePairsRaw(args);
      if (pairs === undefined) throw new TypeError("weir.verify_signature takes a pairs-encoded map");
      const raw = new Map<string, Uint8Array>(pairs);
      const text = (name: string) => {
        const value = raw.get(name);
        return value === undefined ? undefined : new TextDecoder().decode(value);
      };
      const alg = text("alg");
      const key = raw.get("key");
      const data = raw.get("data");
      const sig = raw.get("signature");
      if (!alg || key === undefined || data === undefined || sig === undefined) {
        throw new TypeError("weir.verify_signature needs alg, key, data and signature");
      }
      const b64 = (value: Uint8Array) => {
        try {
          const s = new TextDecoder().decode(value);
          return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
        } catch {
          throw new TypeError("weir.verify_signature: signature is not base64url");
        }
      };
      const signature = text("signature_encoding") === "raw" ? sig : b64(sig);
      return Uint8Array.of(crypto.verify(alg, key, data, signature) ? 1 : 0);
    });
  }
  return fns;
}

/** Runs foreign function `name`; returns its result bytes or a status. */
export function callForeignFunction(vm: FilterVm, name: string, args: Uint8Array, stream: HttpStream | undefined): Uint8Array | number {
  const fn = vm.host.foreignFunctions.get(name);
  const allowed = vm.config.allowedForeignFunctions;
  if (fn === undefined) return Status.NOT_FOUND;
  if (allowed !== undefined && !allowed.has(name)) {
    vm.log(LogLevel.WARN, `foreign function "${name}" refused: not among the capabilities this filter declared`, true);
    return Status.NOT_FOUND;
  }
  try {
    const result = fn(args, { filter: vm.name, stream });
    if (result === undefined) return new Uint8Array(0);
    return typeof result === "string" ? encodeUtf8(result) : result;
  } catch (err) {
    if (err instanceof TypeError) {
      vm.log(LogLevel.WARN, `foreign function "${name}": ${err.message}`, true);
      return Status.BAD_ARGUMENT;
    }
    vm.log(LogLevel.ERROR, `foreign function "${name}" failed: ${(err as Error)?.message ?? err}`, true);
    return Status.INTERNAL_FAILURE;
  }
}
