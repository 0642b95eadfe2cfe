import { Worker } from "node:worker_threads";
import type { Row } from "@libsql/client";
import type { SqlReader } from "../replay/replay.js";
import type { Stmt } from "../store/event-store.js";
import { EMBEDDED_PRAGMAS } from "../store/open-client.js";
import { BUSY_TIMEOUT_MS } from "./open-database.js";

/**
 * A second connection to an embedded libSQL file, on a worker thread. The embedded driver runs
 * every statement synchronously on the JS thread that calls it, so one connection keeps one core
 * busy however many cores there are; the replay hands this one half of its read-only pages.
 * `ready` says whether the thread started (so a caller can keep work for itself until then);
 * queries sent before are queued. A failed thread rejects its queries: callers run them
 * themselves.
 */
export function startSqlReader(url: string): SqlReader {
  const worker = new Worker(new URL("./sql-reader-worker.mjs", import.meta.url), {
    // Plain JavaScript: no need for the parent's flags (`--import tsx` alone made it start ~200 ms later).
    execArgv: [],
    workerData: { url, busyTimeoutMs: BUSY_TIMEOUT_MS, pragmas: { cache_size: EMBEDDED_PRAGMAS.cache_size, mmap_size: EMBEDDED_PRAGMAS.mmap_size } },
  });
  const pending = new Map<number, { resolve: (rows: Row[]) => void; reject: (err: Error) => void }>();
  let next = 0;
  let failure: Error | null = null;
  const reader: SqlReader = {
    ready: false,
    query(stmt: Stmt) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      return new Promise<Row[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, stmt: typeof stmt === "string" ? { sql: stmt, args: [] } : stmt });
      });
    },
    async close() {
      fail(new Error("SQL reader closed"));
      await worker.terminate();
    },
  };
  const fail = (err: Error) => {
    failure ??= err;
    reader.ready = false;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on("message", (m: { id?: number; rows?: Row[]; error?: string; ready?: boolean; failed?: string }) => {
    if (m.ready) reader.ready = !failure;
    if (m.failed) fail(new Error(m.failed));
    if (m.id === undefined) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.rows ?? []);
  });
  worker.on("error", (err) => fail(err));
  worker.on("exit", () => fail(new Error("SQL reader thread exited")));
  return reader;
}

/**
 * The replay's second connection for a database URL: only an embedded file on Node has one (a
 * remote database runs its statements elsewhere, `:memory:` is private to its connection, and
 * Deno's worker_threads cannot load the native driver the same way).
 */
export function replayReaderFor(url: string): (() => SqlReader) | undefined {
  const deno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return url.startsWith("file:") && !deno ? () => startSqlReader(url) : undefined;
}
