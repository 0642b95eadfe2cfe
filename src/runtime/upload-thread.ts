import { Worker } from "node:worker_threads";
import type { Issue } from "../schemas/api.js";
import { memoryChunks, type ChunkStore } from "../import/chunk-store.js";
import type { UploadReaderFactory } from "../http/import-form.js";
import type { UploadReader } from "../import/upload-reader.js";

export type UploadRequest =
  | { op: "open"; id: number; maxDepth: number }
  | { op: "piece"; id: number; piece: Uint8Array }
  | { op: "end" | "cancel"; id: number };

type SpoolDone = { ok: true; members: Record<string, unknown>; recordCount: number; chunked: boolean } | { ok: false; errors: Issue[] };
export type UploadMessage =
  | { id: number; store: "new" | "release" }
  | { id: number; chunk: string }
  | { id: number; read: number }
  | { id: number; done: { spool: SpoolDone; sha256: string; bytes: number } }
  | { id: number; error: string };

export type UploadThreadReady = { ready: true };

export type UploadThread = {
  reader: UploadReaderFactory;
  /** Resolves once the thread has loaded and takes uploads; never rejects. */
  ready: Promise<void>;
  close(): Promise<void>;
};

/**
 * Bytes of one upload sent to the thread and not yet read there. Loopback delivers an upload
 * faster than the thread cuts it; without a bound, most of an upload waited in the thread's queue
 * as copies.
 */
export const MAX_BYTES_IN_FLIGHT = 4 * 1024 * 1024;

/**
 * A worker thread that reads streamed uploads: it hashes, decodes and cuts each upload into
 * record chunks with the same spooler the request's thread would run (package-spool.ts), while
 * that thread only copies the pieces over and keeps the chunk texts it gets back in the upload's
 * chunk store, as its own spooler would have. That leaves the request's thread free to plan the
 * chunks already cut while the rest comes in (plan-early.ts). Once the thread has failed or
 * stopped, uploads are read on the request's thread again; one it was reading then fails.
 *
 * Only bodies that declare a length of at most `maxBytes` are read there; others stay on the
 * request's thread. A 300 MB upload gains nothing (its plan takes two passes after the upload)
 * and its pieces and texts crossing threads raised a 1M-record bench's peak RSS by ≈ 150 MiB.
 * The server hands it only plans that start early (json-import.handlers.ts): for anything else the
 * request's thread would just wait for it. `onFailure` hears once why the thread stopped when it
 * was not closed (the server logs it). `module`: the worker's entry (tests give a broken one).
 */
export function createUploadThread(opts: { maxBytes: number; onFailure?: (error: Error) => void; module?: URL }): UploadThread {
  const worker = new Worker(opts.module ?? new URL("./upload-thread.mjs", import.meta.url), {
    execArgv: [],
    // Its work is short-lived text: a small young generation, whatever the main thread was given.
    resourceLimits: { maxYoungGenerationSizeMb: 16 },
  });
  const open = new Map<number, (m: UploadMessage) => void>();
  let nextId = 0;
  let failure: Error | null = null;
  let loaded = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  worker.unref();
  worker.on("message", (m: UploadMessage | UploadThreadReady) => {
    if ("ready" in m) return void ((loaded = true), markReady());
    open.get(m.id)?.(m);
  });
  let closing = false;
  const stop = (error: Error) => {
    if (!failure && !closing) opts.onFailure?.(error);
    failure ??= error;
    for (const [id, on] of open) on({ id, error: failure.message });
  };
  worker.on("error", (e) => stop(e instanceof Error ? e : new Error(String(e))));
  worker.on("exit", (code) => (stop(new Error(`The upload thread has stopped (exit code ${code})`)), markReady()));

  const reader: UploadReaderFactory = ({ maxDepth, chunks = memoryChunks, declaredBytes }): UploadReader | null => {
    // Until the thread has loaded (≈ 150 ms after start) an upload would wait for it: read it here.
    if (!loaded || failure || declaredBytes === null || declaredBytes > opts.maxBytes) return null;
    const id = nextId++;
    let store: ChunkStore | null = null;
    let inFlight = 0;
    let drained: { promise: Promise<void>; resolve(): void } | null = null;
    let settle!: { resolve(m: Extract<UploadMessage, { done: unknown }>["done"]): void; reject(e: Error): void };
    const done = new Promise<Extract<UploadMessage, { done: unknown }>["done"]>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => undefined); // awaited by end(), or the upload was refused first
    const close = () => {
      open.delete(id);
      if (open.size === 0) worker.unref();
      drained?.resolve(); // nothing more will be read: a writer waiting for room goes on (and ends)
    };
    open.set(id, (m) => {
      if ("read" in m) {
        inFlight -= m.read;
        if (drained && inFlight <= MAX_BYTES_IN_FLIGHT) (drained.resolve(), (drained = null));
      } else if ("chunk" in m) store!.push(m.chunk);
      else if ("store" in m) {
        store?.release();
        store = m.store === "new" ? chunks() : null;
      } else if ("done" in m) (close(), settle.resolve(m.done));
      else (close(), store?.release(), (store = null), settle.reject(new Error(m.error)));
    });
    if (open.size === 1) worker.ref();
    const send = (message: UploadRequest, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
    send({ op: "open", id, maxDepth });
    return {
      push(piece) {
        // A copy of its own: the piece may be a view into a bigger buffer, which must not move.
        const copy = piece.slice();
        inFlight += copy.length;
        send({ op: "piece", id, piece: copy }, [copy.buffer as ArrayBuffer]);
      },
      room() {
        if (inFlight <= MAX_BYTES_IN_FLIGHT || !open.has(id)) return null;
        if (!drained) {
          let resolve!: () => void;
          const promise = new Promise<void>((r) => (resolve = r));
          drained = { promise, resolve };
        }
        return drained.promise;
      },
      async end() {
        send({ op: "end", id });
        const { spool, sha256, bytes } = await done;
        if (!spool.ok) return { spool, sha256, bytes };
        return { spool: { ok: true, spool: { members: spool.members, recordChunks: spool.chunked ? store : null, recordCount: spool.recordCount } }, sha256, bytes };
      },
      release() {
        if (open.has(id)) send({ op: "cancel", id });
        close();
        store?.release();
        store = null;
      },
    };
  };

  return {
    reader,
    ready,
    async close() {
      closing = true;
      stop(new Error("The upload thread is closed"));
      await worker.terminate();
    },
  };
}
