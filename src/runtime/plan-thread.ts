import { Worker } from "node:worker_threads";
import type { Config } from "@libsql/client";
import type { ChunkPlanner, PlannedChunk } from "../services/plan-chunk.js";

export type PlanThread = { planChunks: ChunkPlanner; close(): Promise<void> };

/**
 * A worker thread that plans record chunks (planChunk: parse, prepare, look up, decide), so a
 * plan's chunks are planned two at a time (plan.service.ts, planTwoThreads). Started with the
 * server: loading the TypeScript modules there takes a few hundred ms. When it fails or has
 * stopped, every call rejects and the caller plans that chunk itself.
 */
export function createPlanThread(config: Config): PlanThread {
  const worker = new Worker(new URL("./plan-thread.mjs", import.meta.url), { workerData: { config }, execArgv: [] });
  const pending = new Map<number, { resolve(v: PlannedChunk): void; reject(e: unknown): void }>();
  let nextId = 0;
  let failure: Error | null = null;
  // The worker keeps the process alive only while a chunk is waiting for it.
  worker.unref();

  const stop = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on("message", ({ id, result, error }: { id: number; result?: PlannedChunk; error?: string }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    if (error !== undefined) p.reject(new Error(error));
    else p.resolve(result!);
  });
  worker.on("error", (e) => stop(e instanceof Error ? e : new Error(String(e))));
  worker.on("exit", () => stop(new Error("The plan thread has stopped")));

  return {
    planChunks(target, text, index, recordCount) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<PlannedChunk>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, target, text, index, recordCount });
      });
    },
    async close() {
      stop(new Error("The plan thread is closed"));
      await worker.terminate();
    },
  };
}
