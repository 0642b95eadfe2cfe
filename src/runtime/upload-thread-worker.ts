import { createHash, type Hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import type { ChunkStore } from "../import/chunk-store.js";
import { createPackageSpooler } from "../import/package-spool.js";
import type { UploadMessage, UploadRequest, UploadThreadReady } from "./upload-thread.js";

/**
 * The upload thread's side: for each open upload, the pieces it is sent are hashed, decoded and
 * cut into record chunks by the same spooler the main thread would run (package-spool.ts). Each
 * chunk's text is posted back as soon as it is cut; nothing of an upload is kept here after its end.
 */
type Open = { hash: Hash; decoder: TextDecoder; spooler: ReturnType<typeof createPackageSpooler>; bytes: number };
const open = new Map<number, Open>();
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

parentPort!.on("message", (m: UploadRequest) => {
  try {
    if (m.op === "open") {
      open.set(m.id, { hash: createHash("sha256"), decoder: new TextDecoder(), spooler: createPackageSpooler({ maxDepth: m.maxDepth, chunks: mirroredChunks(m.id) }), bytes: 0 });
      return;
    }
    const u = open.get(m.id);
    if (!u) return; // cancelled
    if (m.op === "piece") {
      u.bytes += m.piece.length;
      u.hash.update(m.piece);
      u.spooler.push(u.decoder.decode(m.piece, { stream: true }));
      post({ id: m.id, read: m.piece.length });
    } else if (m.op === "end") {
      open.delete(m.id);
      u.spooler.push(u.decoder.decode());
      const r = u.spooler.end();
      const spool = r.ok ? { ok: true as const, members: r.spool.members, recordCount: r.spool.recordCount, chunked: r.spool.recordChunks !== null } : r;
      post({ id: m.id, done: { spool, sha256: u.hash.digest("hex"), bytes: u.bytes } });
    } else {
      open.delete(m.id);
      u.spooler.release();
    }
  } catch (e) {
    open.delete(m.id);
    post({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});

// Loaded and listening: uploads may come here from now on (until then they are read on the request's thread).
parentPort!.postMessage({ ready: true } satisfies UploadThreadReady);
