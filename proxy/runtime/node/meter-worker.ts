/**
 * Fuel metering off the main thread. The rewrite (`meterBytes`, binaryen) runs in a
 * `node:worker_threads` worker — which Deno 2 and Bun provide too — so binaryen never joins
 * the proxy's heap: its module is a ~90 MB source string plus its own linear memory, and a
 * main-thread heap that once held it had V8 pretenure the request path's short-lived objects
 * (every stream then survived into old space; the kit's per-stream cost went from 2.9 to
 * 5.8 µs on Node 20, run to run). The worker starts on the first module that needs metering
 * and exits when idle; metered modules are cached (in memory and on disk) so a warm start
 * never starts it.
 *
 * Where a worker cannot run this file (Node running the TypeScript sources under vitest,
 * which transforms modules in-process only), metering falls back to this thread.
 *
 * This one file is both sides: imported, it exports the client; run as the worker (marked
 * by its `workerData`), it serves rewrite requests.
 */

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { meterBytes } from "../../abi/meter.ts";

const WORKER_MARK = "weir-meter-worker";

interface Request {
  id: number;
  bytes: Uint8Array;
}
type Reply = { id: number; bytes: Uint8Array } | { id: number; error: string };

if (!isMainThread && workerData === WORKER_MARK && parentPort) {
  const port = parentPort;
  port.on("message", (request: Request) => {
    meterBytes(request.bytes).then(
      (bytes) => port.postMessage({ id: request.id, bytes } satisfies Reply, [bytes.buffer as ArrayBuffer]),
      (err: Error) => port.postMessage({ id: request.id, error: err?.message ?? String(err) } satisfies Reply),
    );
  });
}

export interface WorkerMeterOptions {
  /** The worker exits after this long without work (default 2000 ms). */
  idleMs?: number;
}

/** A metering function for `createHost({ meter })`, with where its rewrites ran. */
export interface WorkerMeter {
  (bytes: Uint8Array): Promise<Uint8Array>;
  /** Rewrites done by the worker, and here (the worker could not run). */
  readonly stats: { inWorker: number; inThread: number };
}

/** A metering function for `createHost({ meter })` that rewrites in a worker thread. */
export function createWorkerMeter(options: WorkerMeterOptions = {}): WorkerMeter {
  const idleMs = options.idleMs ?? 2000;
  let worker: Worker | undefined;
  let unavailable = false;
  let nextId = 1;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stats = { inWorker: 0, inThread: 0 };
  const here = (bytes: Uint8Array) => {
    stats.inThread++;
    return meterBytes(bytes);
  };
  const pending = new Map<number, { bytes: Uint8Array; resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();

  const stop = () => {
    const w = worker;
    worker = undefined;
    void w?.terminate();
  };
  const settleIdle = () => {
    if (idle !== undefined) clearTimeout(idle);
    idle = undefined;
    if (pending.size > 0) return;
    idle = setTimeout(stop, idleMs);
    idle.unref?.();
    worker?.unref();
  };
  /** The worker could not run (or died): what it had in hand is metered here. */
  const fallBack = (w: Worker) => {
    if (worker === w) worker = undefined;
    unavailable = true;
    const waiting = [...pending.values()];
    pending.clear();
    for (const job of waiting) here(job.bytes).then(job.resolve, job.reject);
    settleIdle();
  };
  const start = (): Worker => {
    const w = new Worker(new URL(import.meta.url), { workerData: WORKER_MARK });
    w.on("message", (reply: Reply) => {
      const job = pending.get(reply.id);
      if (!job) return;
      pending.delete(reply.id);
      stats.inWorker++;
      if ("error" in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.bytes);
      settleIdle();
    });
    w.on("error", () => fallBack(w));
    w.on("exit", () => {
      if (pending.size > 0) fallBack(w);
      else if (worker === w) worker = undefined;
    });
    return w;
  };

  const meter = (bytes: Uint8Array): Promise<Uint8Array> => {
    if (unavailable) return here(bytes);
    if (idle !== undefined) clearTimeout(idle);
    idle = undefined;
    worker ??= start();
    worker.ref();
    const id = nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      pending.set(id, { bytes, resolve, reject });
      // A copy goes over: the caller keeps its bytes.
      (worker as Worker).postMessage({ id, bytes: bytes.slice() } satisfies Request);
    });
  };
  return Object.assign(meter, { stats });
}
