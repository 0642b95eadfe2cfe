import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { ChunkStore, ChunkStoreFactory } from "../import/chunk-store.js";

/**
 * Record chunks of an upload in memory up to `memoryBytes`, the rest in a temporary file: a
 * 1M-record package is ≈ 300 MB of text that both passes of a plan/apply read, and on the JS heap
 * it also makes V8 let its heap grow to several times that. The file is unlinked as soon as it is
 * open, so nothing is left behind when the process dies; `release` (or the spool being collected)
 * closes it. If the file cannot be written (no space, no permission), chunks stay in memory.
 */
export function fileChunks(opts: { dir: string; memoryBytes: number }): ChunkStoreFactory {
  return function newFileChunks(): ChunkStore {
    let held = 0;
    let file: { fd: number; end: number } | null = null;
    let failed = false;
    // Per chunk: a string kept in memory, or where its UTF-8 bytes lie in the file.
    const where: (string | { at: number; bytes: number })[] = [];
    const token = {};

    const open = () => {
      const dir = mkdtempSync(join(opts.dir, "import-spool-"));
      try {
        const path = join(dir, "chunks");
        const fd = openSync(path, "w+", 0o600);
        rmSync(dir, { recursive: true }); // the open descriptor keeps the data; no path remains
        file = { fd, end: 0 };
        closer.register(token, fd, token);
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return file!;
    };

    return {
      get length() {
        return where.length;
      },
      push(text) {
        if (!failed && held + text.length > opts.memoryBytes) {
          try {
            const f = file ?? open();
            const buf = Buffer.from(text, "utf8");
            for (let done = 0; done < buf.length; ) done += writeSync(f.fd, buf, done, buf.length - done, f.end + done);
            where.push({ at: f.end, bytes: buf.length });
            f.end += buf.length;
            return;
          } catch {
            failed = true; // keep going in memory; the request still works
          }
        }
        held += text.length;
        where.push(text);
      },
      get(index) {
        const w = where[index]!;
        if (typeof w === "string") return w;
        const buf = Buffer.allocUnsafe(w.bytes);
        for (let done = 0; done < w.bytes; ) {
          const n = readSync(file!.fd, buf, done, w.bytes - done, w.at + done);
          if (n === 0) throw new Error("import spool file ended early");
          done += n;
        }
        return buf.toString("utf8");
      },
      release() {
        where.length = 0;
        held = 0;
        if (file) {
          closer.unregister(token);
          closeSync(file.fd);
          file = null;
        }
      },
    };
  };
}

// A spool nobody released (a request that threw) still closes its file when it is collected.
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
});
