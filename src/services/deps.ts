import type { EventMetadata } from "../../events/metadata.js";
import type { EventStore } from "../store/event-store.js";

/** What the application needs from the outside world; injected so tests and replay are deterministic. */
export type Deps = {
  store: EventStore;
  now: () => Date;
  newId: () => string;
  /** An incremental SHA-256 for uploads; runtimes with a native one (node:crypto) inject it. */
  sha256Stream?: () => import("../support/sha256.js").IncrementalHash;
  /** Where uploaded record chunks wait between the passes; runtimes with a file system spill big ones to disk. */
  spoolChunks?: import("../import/chunk-store.js").ChunkStoreFactory;
  /** What whole reads of recent packages found (scan-memo.ts): an apply of a file planned before reads it once. */
  scanMemo?: import("../import/scan-memo.js").ScanMemo;
  /** Reads streamed uploads (hash, decode, cut into record chunks) on another thread (the Node server's upload thread). */
  uploadReader?: import("../http/import-form.js").UploadReaderFactory;
  /** Plans and reads some of a package's record chunks on another thread (the Node server's plan thread). */
  chunkWorker?: import("./chunk-work.js").ChunkWorker;
};

/** Who is acting, carried into every event's metadata. */
export type Actor = Omit<EventMetadata, "CausationId">;

export type Failure = { ok: false; status: 400 | 404 | 409; errors: import("../schemas/api.js").Issue[] };
