import { createSha256, type IncrementalHash } from "../support/sha256.js";
import type { ChunkStoreFactory } from "./chunk-store.js";
import { createPackageSpooler, type Upload } from "./package-spool.js";

/** Reads one uploaded package as its pieces arrive; `end` gives the spooled Upload. */
export type UploadReader = {
  push(piece: Uint8Array): void;
  /** null when it can take more now; otherwise, when it can (the body is read no further until then). */
  room?(): Promise<void> | null;
  end(): Promise<Upload>;
  release(): void;
};

/**
 * One upload's bytes → hash + UTF-8 text → spool; each piece is let go once it is read. The
 * request's thread runs it (import-form.ts), and so does the upload thread for the uploads it reads.
 */
export function createUploadReader(opts: { maxDepth: number; sha256?: () => IncrementalHash; chunks?: ChunkStoreFactory }): UploadReader {
  const hash = (opts.sha256 ?? createSha256)();
  const decoder = new TextDecoder();
  const spooler = createPackageSpooler({ maxDepth: opts.maxDepth, chunks: opts.chunks });
  let bytes = 0;
  return {
    push(piece: Uint8Array) {
      bytes += piece.length;
      hash.update(piece);
      spooler.push(decoder.decode(piece, { stream: true }));
    },
    async end(): Promise<Upload> {
      spooler.push(decoder.decode());
      return { spool: spooler.end(), sha256: await hash.hex(), bytes };
    },
    release: spooler.release,
  };
}
