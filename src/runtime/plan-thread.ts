import { Worker } from "node:worker_threads";
import type { Config } from "@libsql/client";
import type { ChunkWorker, PlannedChunk, ScannedChunk } from "../services/chunk-work.js";
import type { ImportTarget } from "../services/import-context.js";
import { workerCalls } from "./worker-calls.js";

export type PlanThread = ChunkWorker & { close(): Promise<void> };

/**
 * A worker thread that plans record chunks (planChunk: parse, prepare, look up, decide) and reads
 * them for an apply's first pass (scanChunk), so chunks are worked on two at a time
 * (two-threads.ts). Started with the server: loading the TypeScript modules there takes a few
 * hundred ms. When it fails or has stopped, every call rejects and the caller does that chunk.
 */
export function createPlanThread(config: Config): PlanThread {
  const worker = new Worker(new URL("./plan-thread.mjs", import.meta.url), { workerData: { config }, execArgv: [] });
  const calls = workerCalls<string>(worker, { decodeError: (message) => new Error(message), exited: () => new Error("The plan thread has stopped") });
  const call = <T>(op: "plan" | "scan", target: ImportTarget, text: string, index: number, recordCount: number): Promise<T> =>
    calls.call<T>({ op, target, text, index, recordCount });

  return {
    plan: (...args) => call<PlannedChunk>("plan", ...args),
    scan: (...args) => call<ScannedChunk>("scan", ...args),
    async close() {
      calls.stop(new Error("The plan thread is closed"));
      await worker.terminate();
    },
  };
}
