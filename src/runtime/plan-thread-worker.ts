import { parentPort, workerData } from "node:worker_threads";
import { createClient, type Config } from "@libsql/client";
import { planChunk, scanChunk } from "../services/chunk-work.js";
import type { ImportTarget } from "../services/import-context.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";

/**
 * The plan thread's side: plans or reads the chunks it is sent (chunk-work.ts), looking plans up
 * on its own connection to the same file. That connection only reads: it maps nothing and keeps
 * a small page cache, so the file's pages are not counted again in the process's RSS.
 */
const client = createClient(workerData.config as Config);
await client.execute("PRAGMA mmap_size = 0");
await client.execute("PRAGMA cache_size = -16384");
const store = createLibsqlEventStore(client);

type Request = { id: number; op: "plan" | "scan"; target: ImportTarget; text: string; index: number; recordCount: number };

parentPort!.on("message", async ({ id, op, target, text, index, recordCount }: Request) => {
  try {
    const result = op === "plan" ? await planChunk({ store }, target, text, index, recordCount) : scanChunk(target, text, index, recordCount);
    parentPort!.postMessage({ id, result });
  } catch (e) {
    parentPort!.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
