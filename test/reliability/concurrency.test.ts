import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { openDatabase } from "../../src/runtime/open-database.js";
import { runConcurrency } from "./concurrency.js";
import { ROOT, tempDb } from "./harness.js";

/**
 * Concurrent applies of overlapping packages (issue 7): 16 applies of 90 rows over 120 shared
 * identities, each with its own values, all in flight at once — against one server process, and
 * spread over two processes on the same libSQL file (WAL + busy_timeout). No 500, every row
 * Applied or Failed with concurrency_conflict, each instance equal to the fold of its history,
 * every reported write found in it, positions gap-free and `npm run replay` clean.
 */
const verbose = (l: string) => process.env.RELIABILITY_VERBOSE && console.log(l);

describe("concurrent applies of overlapping packages", () => {
  it("16 applies on one process: no lost update, no silent loss, no 500", async () => {
    const r = await runConcurrency({ applies: 16, identities: 120, rowsPerApply: 90, processes: 1, seed: 11, log: verbose });
    expect(r.statuses).toEqual({ 200: 16 });
    expect(r.instances).toBe(120);
    expect(r.created).toBe(120);
    expect(r.created + r.updated + r.skipped + r.conflicts).toBe(16 * 90);
  }, 120_000);

  it("16 applies over two server processes on the same file: the same guarantees", async () => {
    const r = await runConcurrency({ applies: 16, identities: 120, rowsPerApply: 90, processes: 2, seed: 12, log: verbose });
    expect(r.statuses).toEqual({ 200: 16 });
    expect(r.instances).toBe(120);
    expect(r.created).toBe(120);
    expect(r.created + r.updated + r.skipped + r.conflicts).toBe(16 * 90);
  }, 120_000);

  it("every pooled connection of an embedded database waits for another process's write lock (no immediate SQLITE_BUSY)", async () => {
    // The client used to open extra connections for overlapping calls; a PRAGMA busy_timeout
    // reached only the first one, so a write on another connection failed at once while a second
    // process wrote. The embedded client now has one connection (test/store/open-database.test.ts),
    // opened with the timeout; overlapping calls must still wait, not fail.
    const tmp = tempDb("busy");
    const db = await openDatabase(`file:${tmp.dbFile}`);
    try {
      await db.execute("CREATE TABLE lock_probe (x)");
      const holder = spawn(
        process.execPath,
        ["-e", `const D = require("libsql"); const db = new D(${JSON.stringify(tmp.dbFile)}); db.exec("BEGIN IMMEDIATE"); db.exec("INSERT INTO lock_probe VALUES (1)"); console.log("locked"); setTimeout(() => { db.exec("COMMIT"); db.close(); }, 400);`],
        { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((ok) => holder.stdout!.on("data", (d) => String(d).includes("locked") && ok()));
      const started = performance.now();
      // Two overlapping calls: the second waits for the connection, then for the lock.
      const [read, write] = await Promise.allSettled([db.execute("SELECT 1"), db.batch([{ sql: "INSERT INTO lock_probe VALUES (2)", args: [] }], "write")]);
      expect(read.status).toBe("fulfilled");
      expect(write.status === "rejected" ? String(write.reason) : "ok").toBe("ok");
      expect(performance.now() - started).toBeGreaterThan(200);
      expect(Number((await db.execute("SELECT count(*) FROM lock_probe")).rows[0]![0])).toBe(2);
      await new Promise((r) => holder.exitCode !== null ? r(null) : holder.on("exit", r));
    } finally {
      db.close();
      tmp.remove();
    }
  }, 30_000);
});
