/**
 * CPU budgets for filters by fuel metering. At load, the module is rewritten with binaryen:
 * its `log-execution` pass puts a call at every function entry, loop header and return; the
 * call target is then replaced by a tiny internal function that decrements an i32 global and
 * executes `unreachable` once it goes negative, and the `inlining` pass folds it into each
 * site. The host refills the global (through the exported `weir_set_fuel`) before every
 * callback, so an infinite loop in any callback stops within its budget, and a trap after
 * the budget ran out is reported as "CPU budget exhausted" rather than as a guest trap.
 *
 * The counter is the module's own global (V8 reaches an imported mutable global through an
 * extra indirection on every access), initialized from an imported immutable one
 * (`weir_meter.fuel`), so the budget is in place before instantiation: an AssemblyScript
 * module's start section runs inside `new WebAssembly.Instance`, under the same budget as
 * any callback. Running out sets the imported `weir_meter.exhausted` before trapping, which
 * the host reads even when the start section trapped.
 *
 * One unit is one loop iteration or one function call. Rewriting costs tens of milliseconds,
 * so results are cached by the SHA-256 of the input (in memory, and in the embedder's cache
 * when one is given).
 */

/** Import module and name of the initial fuel a metered module imports. */
export const FUEL_MODULE = "weir_meter";
export const FUEL_GLOBAL = "fuel";
/** Exported by a metered module: sets the fuel counter. */
export const FUEL_SETTER = "weir_set_fuel";
/** Imported (mutable) by a metered module: set to 1 when a callback ran out of fuel. */
export const FUEL_EXHAUSTED = "exhausted";
const METER_MODULE = "weir_meter_hook";

/** Where metered modules are kept between loads (e.g. a directory on disk). */
export interface ModuleCache {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array): Promise<void>;
}

const memoryCache = new Map<string, Uint8Array>();

/** Hex SHA-256 of `bytes` (WebCrypto, available on Node 20, Deno and Bun). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Runs the metering rewrite: `meterBytes` itself, or something that runs it elsewhere (a worker). */
export type MeterFunction = (bytes: Uint8Array) => Promise<Uint8Array>;

/** Returns `bytes` rewritten with a fuel counter by `rewrite`; cached by digest. */
export async function meterModule(bytes: Uint8Array, cache?: ModuleCache, rewrite: MeterFunction = meterBytes): Promise<Uint8Array> {
  const key = `metered-v4-${await sha256Hex(bytes)}`;
  const hit = memoryCache.get(key) ?? (await cache?.get(key));
  if (hit) {
    memoryCache.set(key, hit);
    return hit;
  }
  const out = await rewrite(bytes);
  memoryCache.set(key, out);
  await cache?.set(key, out);
  return out;
}

/**
 * The rewrite itself, with binaryen in the calling thread. Runtimes run it in a worker
 * (`HostOptions.meter`) so binaryen's heap stays out of the proxy's.
 */
export async function meterBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const { default: binaryen } = await import("binaryen");
  // binaryen's typings omit readBinary's optional feature-set argument.
  const mod = (binaryen.readBinary as (data: Uint8Array, features?: number) => ReturnType<typeof binaryen.readBinary>)(
    bytes,
    binaryen.Features.All,
  );
  try {
    // Every feature so anything parses and validates, except compact imports: binaryen would
    // emit that encoding, which Node 20's V8 rejects ("unknown import kind 0x7f").
    const features = binaryen.Features as unknown as Record<string, number>;
    mod.setFeatures(features.All & ~(features.CompactImports ?? 0));
    binaryen.setPassArgument("log-execution", METER_MODULE);
    mod.runPasses(["log-execution"]);
    binaryen.clearPassArguments();
    let hook: string | undefined;
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (info.module === METER_MODULE) hook = info.name;
    }
    if (hook === undefined) throw new Error("binaryen's log-execution pass added no hook");
    mod.removeFunction(hook);
    const name = "weir_fuel";
    const initial = "weir_fuel_initial";
    const fuel = () => mod.global.get(name, binaryen.i32);
    const exhausted = "weir_fuel_exhausted";
    mod.addGlobalImport(initial, FUEL_MODULE, FUEL_GLOBAL, binaryen.i32, false);
    mod.addGlobalImport(exhausted, FUEL_MODULE, FUEL_EXHAUSTED, binaryen.i32, true);
    mod.addGlobal(name, binaryen.i32, true, mod.global.get(initial, binaryen.i32));
    // The hook's parameter (binaryen's call-site id) is reused as the scratch local: one read
    // of the counter per site.
    mod.addFunction(
      hook,
      binaryen.createType([binaryen.i32]),
      binaryen.none,
      [],
      mod.block(null, [
        mod.global.set(name, mod.local.tee(0, mod.i32.sub(fuel(), mod.i32.const(1)), binaryen.i32)),
        // Out of fuel: flag it where the host can read it (even from a trapped start), then trap.
        mod.if(
          mod.i32.lt_s(mod.local.get(0, binaryen.i32), mod.i32.const(0)),
          mod.block(null, [mod.global.set(exhausted, mod.i32.const(1)), mod.unreachable()]),
        ),
      ]),
    );
    // Refilling through an exported function is several times cheaper than writing
    // `WebAssembly.Global.value` from JavaScript before every callback.
    mod.addFunction(
      FUEL_SETTER,
      binaryen.createType([binaryen.i32]),
      binaryen.none,
      [],
      mod.global.set(name, mod.local.get(0, binaryen.i32)),
    );
    mod.addFunctionExport(FUEL_SETTER, FUEL_SETTER);
    const previous = binaryen.getAlwaysInlineMaxSize();
    binaryen.setAlwaysInlineMaxSize(20);
    try {
      // Inline the hook everywhere, then drop what inlining leaves: the dead store of each
      // site's id and the blocks around it.
      mod.runPasses(["inlining", "simplify-locals", "vacuum", "merge-blocks"]);
    } finally {
      binaryen.setAlwaysInlineMaxSize(previous);
    }
    if (!mod.validate()) throw new Error("the metered module does not validate");
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}
