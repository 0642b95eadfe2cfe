// A second, read-only connection to an embedded libSQL file on its own thread (sql-reader.ts).
// Plain JavaScript on purpose: it must start without a TypeScript loader, in tests and in
// production alike, and fast (it only needs @libsql/client).
import { parentPort, workerData } from "node:worker_threads";
import { createClient } from "@libsql/client";

const client = createClient({ url: workerData.url, timeout: workerData.busyTimeoutMs, concurrency: 1 });
let ready = (async () => {
  for (const [name, value] of Object.entries(workerData.pragmas)) await client.execute(`PRAGMA ${name} = ${Number(value)}`);
})();

parentPort.on("message", async ({ id, stmt }) => {
  try {
    await ready;
    const rs = await client.execute(stmt);
    // Plain objects (a Row's named members do not survive structured cloning); BLOBs are moved.
    const rows = rs.rows.map((r) => Object.fromEntries(rs.columns.map((c, i) => [c, r[i]])));
    const transfer = rows.flatMap((r) => Object.values(r).filter((v) => v instanceof ArrayBuffer));
    parentPort.postMessage({ id, rows }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.message ?? err) });
  }
});
ready.then(() => parentPort.postMessage({ ready: true }), (err) => parentPort.postMessage({ failed: String(err?.message ?? err) }));
