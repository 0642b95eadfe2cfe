// The embedded libSQL connection on its own thread (see thread-client.ts, which starts it).
// Plain JavaScript on purpose: a Worker is loaded by Node itself, also where no TypeScript
// loader runs (vitest), so it imports nothing of ours, only @libsql/client.
import { parentPort, workerData } from "node:worker_threads";
import { createClient } from "@libsql/client";

const client = createClient(workerData.config);

// A statement's native memory is freed by a napi finalizer that runs from the event loop, not
// between two promise continuations; one turn after each call lets it go (bench/soak.ts).
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A ResultSet as plain data: rows as arrays, rebuilt into the client's row shape by the caller. */
const encode = (rs) => ({
  columns: rs.columns,
  columnTypes: rs.columnTypes,
  rows: rs.rows.map((row) => Array.prototype.slice.call(row)),
  rowsAffected: rs.rowsAffected,
  lastInsertRowid: rs.lastInsertRowid,
});

/** Everything an error carries that the caller looks at: LibsqlError codes, a batch's statement index. */
const encodeError = (e) =>
  e instanceof Error
    ? {
        name: e.name,
        message: e.message,
        stack: e.stack,
        code: e.code,
        extendedCode: e.extendedCode,
        rawCode: e.rawCode,
        statementIndex: e.statementIndex,
        cause: e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message, code: e.cause.code } : undefined,
      }
    : { name: "Error", message: String(e) };

/** The BLOBs of encoded results, handed over instead of copied (a replay page is ≈ 5 MB). */
const blobsOf = (results) => {
  const blobs = new Set();
  for (const rs of results) for (const row of rs.rows) for (const v of row) if (v instanceof ArrayBuffer) blobs.add(v);
  return [...blobs];
};

async function run(op, args) {
  switch (op) {
    case "execute":
      return encode(await client.execute(args[0]));
    case "batch":
      return (await client.batch(args[0], args[1])).map(encode);
    case "migrate":
      return (await client.migrate(args[0])).map(encode);
    case "executeMultiple":
      return void (await client.executeMultiple(args[0]));
    case "close":
      return void client.close();
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

// One call at a time, in the order they were sent: a read sent after a write sees it.
let tail = Promise.resolve();
parentPort.on("message", ({ id, op, args }) => {
  tail = tail.then(async () => {
    try {
      const result = await run(op, args);
      parentPort.postMessage({ id, result }, op === "execute" ? blobsOf([result]) : op === "batch" ? blobsOf(result) : []);
    } catch (e) {
      parentPort.postMessage({ id, error: encodeError(e) });
    }
    if (op === "close") parentPort.close();
    else await turn();
  });
});
