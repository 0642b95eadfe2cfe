// A read-only connection to the embedded file in a process of its own (read-process.ts starts it).
// Plain JavaScript that imports only libSQL's native binding, so it is ready ≈ 80 ms after the fork.
import Database from "libsql";
import { Buffer } from "node:buffer";
import { Socket } from "node:net";
import { serialize } from "node:v8";

const { path, timeout, idleMs } = JSON.parse(process.argv[2]);

/**
 * The connection is opened for the reads that come and closed once none came for `idleMs`: an
 * idle process holds no lock on the file, so a crash of the server leaves nothing that could
 * keep the next opener from recovering the WAL, and nothing stays open between replays.
 */
let db = null;
let idle = null;
function database() {
  if (!db) {
    db = new Database(path, { timeout });
    // Only reads are sent here; a statement that would write is refused by SQLite itself.
    db.exec("PRAGMA query_only = ON");
    // Pages come from the OS page cache the server's connections share: no big cache of its own.
    db.exec("PRAGMA cache_size = -8192");
    db.exec("PRAGMA mmap_size = 0");
  }
  clearTimeout(idle);
  idle = setTimeout(closeDatabase, idleMs);
  idle.unref();
  return db;
}
function closeDatabase() {
  clearTimeout(idle);
  db?.close();
  db = null;
  // Statements hold their connection until they are collected (the binding has no finalize), so
  // a collection follows the close (the process runs with --expose-gc).
  globalThis.gc?.();
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Answers go out on fd 3, each as a frame: an 8-byte head (the meta's length, the number of
 * BLOBs), each BLOB's length, the meta (v8-serialized: id, columns, rows with `{ blob: k }` in
 * place of the k-th BLOB), then the BLOBs' bytes as they are. Node's IPC channel copies a big
 * message over and over as it arrives; a replay page's BLOBs are ≈ 5 MB.
 */
const out = new Socket({ fd: 3, readable: false, writable: true });
function send(message, blobs = []) {
  const meta = serialize(message);
  const head = Buffer.alloc(8 + 4 * blobs.length);
  head.writeUInt32LE(meta.length, 0);
  head.writeUInt32LE(blobs.length, 4);
  blobs.forEach((b, k) => head.writeUInt32LE(b.length, 8 + 4 * k));
  out.write(head);
  out.write(meta);
  for (const b of blobs) out.write(b);
}

const argIn = (v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v instanceof ArrayBuffer ? Buffer.from(v) : v);

function run(sql, args) {
  const st = database().prepare(sql);
  st.safeIntegers(true);
  try {
    st.raw(true);
  } catch {
    // A statement that returns no data, as the client runs it: a write fails (query_only).
    st.run(args.map(argIn));
    return { columns: [], rows: [], blobs: [] };
  }
  const columns = st.columns().map((c) => c.name);
  const blobs = [];
  const rows = st.all(args.map(argIn)).map((row) =>
    row.map((v) => {
      if (typeof v === "bigint") {
        // As @libsql/client's default intMode ("number") does.
        if (v > MAX_SAFE || v < -MAX_SAFE) throw new RangeError("Received integer which cannot be safely represented as a JavaScript number");
        return Number(v);
      }
      if (Buffer.isBuffer(v)) return { blob: blobs.push(v) - 1 };
      return v;
    }),
  );
  return { columns, rows, blobs };
}

process.on("message", ({ id, sql, args }) => {
  try {
    const { columns, rows, blobs } = run(sql, args);
    send({ id, columns, rows }, blobs);
  } catch (e) {
    send({ id, error: { name: e?.name ?? "Error", message: String(e?.message ?? e), code: e?.code, rawCode: e?.rawCode } });
  }
});
// Ready once the file opens; closed again until the first read. Nothing else holds this process:
// once the server is gone (even killed) its channel closes, and the process ends.
database();
closeDatabase();
process.send({ ready: true });
