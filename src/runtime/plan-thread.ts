import { Worker } from "node:worker_threads";
import type { Config } from "@libsql/client";
import type { ChunkWorker, PlannedChunk, ScannedChunk } from "../services/chunk-work.js";
import type { ImportTarget } from "../services/import-context.js";

export type PlanThread = ChunkWorker & { close(): Promise<void> };

/**
 * A worker thread that plans record chunks (planChunk: parse, prepare, look up, decide) and reads
 * them for an apply's first pass (scanChunk), so chunks are worked on two at a time
 * (two-threads.ts). Started with the server: loading the TypeScript modules there takes a few
 * hundred ms. When it fails or has stopped, every call rejects and the caller does that chunk.
 */
export function createPlanThread(config: Config): PlanThread {
  const worker = new Worker(new URL("./plan-thread.mjs", import.meta.url), { workerData: { config }, execArgv: [] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextId = 0;
  let failure: Error | null = null;
  // The worker keeps the process alive only while a chunk is waiting for it.
  worker.unref();

  const stop = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on("message", ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    if (error !== undefined) p.reject(new Error(error));
    else p.resolve(result!);
  });
  worker.on("error", (e) => stop(e instanceof Error ? e : new Error(String(e))));
  worker.on("exit", () => stop(new Error("The plan thread has stopped")));

  const call = <T>(op: "plan" | "scan", target: ImportTarget, text: string, index: number, recordCount: number): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, target, text, index, recordCount });
    });
  };

  return {
    plan: (...args) => call<PlannedChunk>("plan", ...args),
    scan: (...args) => call<ScannedChunk>("scan", ...args),
    async close() {
      stop(new Error("The plan thread is closed"));
      await worker.terminate();
    },
  };
}
