import { parentPort } from "node:worker_threads";
import type { ChunkStore } from "../import/chunk-store.js";
import { createUploadReader, type UploadReader } from "../import/upload-reader.js";
import { nodeSha256 } from "./node-sha256.js";
import type { UploadMessage, UploadRequest, UploadThreadReady } from "./upload-thread.js";

/**
 * The upload thread's side: for each open upload, the pieces it is sent are hashed, decoded and
 * cut into record chunks by the same reader the main thread would run (upload-reader.ts). Each
 * chunk's text is posted back as soon as it is cut; nothing of an upload is kept here after its end.
 */
const open = new Map<number, UploadReader>();
const post = (message: UploadMessage) => parentPort!.postMessage(message);

/** The spooler's chunk store: every change is mirrored by the store on the main thread. */
const mirroredChunks =
  (id: number) =>
  (): ChunkStore => {
    let length = 0;
    post({ id, store: "new" });
    return {
      get length() {
        return length;
      },
      push: (text) => void (length++, post({ id, chunk: text })),
      get: () => {
        throw new Error("an upload's chunks are read on the main thread");
      },
      release: () => post({ id, store: "release" }),
    };
  };

const failed = (id: number, e: unknown) => {
  open.delete(id);
  post({ id, error: e instanceof Error ? e.message : String(e) });
};

parentPort!.on("message", (m: UploadRequest) => {
  try {
    if (m.op === "open") return void open.set(m.id, createUploadReader({ maxDepth: m.maxDepth, sha256: nodeSha256, chunks: mirroredChunks(m.id) }));
    const u = open.get(m.id);
    if (!u) return; // cancelled
    if (m.op === "piece") {
      u.push(m.piece);
      post({ id: m.id, read: m.piece.length });
    } else if (m.op === "end") {
      open.delete(m.id);
      u.end().then(({ spool: r, sha256, bytes }) => {
        const spool = r.ok ? { ok: true as const, members: r.spool.members, recordCount: r.spool.recordCount, chunked: r.spool.recordChunks !== null } : r;
        post({ id: m.id, done: { spool, sha256, bytes } });
      }, (e) => failed(m.id, e));
    } else {
      open.delete(m.id);
      u.release();
    }
  } catch (e) {
    failed(m.id, e);
  }
});

// Loaded and listening: uploads may come here from now on (until then they are read on the request's thread).
parentPort!.postMessage({ ready: true } satisfies UploadThreadReady);
