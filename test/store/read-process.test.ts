import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient, LibsqlError, type Client } from "@libsql/client";
import { startReadProcess, type ReadProcess } from "../../src/runtime/read-process.js";
import { isAlive } from "../support/processes.js";

/**
 * The Node server's read process (src/runtime/read-process.ts): a read-only connection to the
 * embedded file in a child process. What its callers rely on: rows in @libsql/client's shape,
 * committed writes seen, SQLite's errors as LibsqlError, nothing written, and a process that
 * comes back after it stopped and never outlives the server.
 */
let dir: string;
let file: string;
let writer: Client;
let reads: ReadProcess;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "read-process-"));
  file = join(dir, "r.db");
  writer = createClient({ url: `file:${file}` });
  await writer.execute("PRAGMA journal_mode = WAL");
  await writer.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT, r REAL, b BLOB, n INTEGER)");
  await writer.execute({ sql: "INSERT INTO t VALUES (1, 'één ✓', 1.5, ?, NULL), (2, '', -0.25, x'', 9007199254740991)", args: [new Uint8Array([0, 1, 254, 255]).buffer] });
  reads = startReadProcess(`file:${file}`, 5000);
  expect(await reads.ready()).toBe(true);
});
afterAll(async () => {
  await reads.close();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

const query = () => {
  const q = reads.current();
  if (!q) throw new Error("the read process is not up");
  return q;
};

describe("read process", () => {
  it("answers a read with the rows @libsql/client gives for it", async () => {
    const stmt = { sql: "SELECT k, v, r, b, n, k AS v FROM t WHERE k >= ? ORDER BY k", args: [1] };
    const [rows, expected] = await Promise.all([query()(stmt), writer.execute(stmt).then((rs) => rs.rows)]);
    const shape = (rs: typeof rows) => rs.map((row) => ({ byIndex: Array.from({ length: row.length }, (_, i) => row[i]), byName: { ...row } }));
    expect(shape(rows)).toEqual(shape(expected));
    expect(rows[0]!.b).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]!.b as ArrayBuffer)]).toEqual([0, 1, 254, 255]);
    expect(Object.keys(rows[0]!)).toEqual(["k", "v", "r", "b", "n"]);
  });

  it("sees what was committed after it started", async () => {
    await writer.execute("INSERT INTO t (k, v) VALUES (3, 'later')");
    expect((await query()("SELECT v FROM t WHERE k = 3"))[0]!.v).toBe("later");
  });

  it("answers many reads at once, each with its own rows, BLOBs of megabytes whole", async () => {
    const sizes = [0, 1, 70_000, 3_000_000, 5];
    const answers = await Promise.all(sizes.map((n) => query()({ sql: "SELECT ? AS n, zeroblob(?) AS z, length(zeroblob(?)) AS len", args: [n, n, n] })));
    expect(answers.map(([r]) => [r!.n, (r!.z as ArrayBuffer).byteLength, r!.len])).toEqual(sizes.map((n) => [n, n, n]));
  });

  it("refuses what the client refuses: an SQL error, an integer beyond 2^53, any write", async () => {
    await expect(query()("SELEC 1")).rejects.toSatisfy((e: unknown) => e instanceof LibsqlError && e.code === "SQLITE_ERROR" && /syntax error/.test(e.message));
    await expect(query()("SELECT 9007199254740993 AS big")).rejects.toThrow(RangeError);
    await expect(query()("DELETE FROM t")).rejects.toSatisfy((e: unknown) => e instanceof LibsqlError && e.code === "SQLITE_READONLY");
    expect(Number((await writer.execute("SELECT count(*) AS n FROM t")).rows[0]!.n)).toBe(3);
    // Still answering after the errors.
    expect((await query()("SELECT 7 AS x"))[0]!.x).toBe(7);
  });

  it("once it stopped, fails what was waiting, answers nothing, and is started again for the next caller", async () => {
    const before = reads.pid();
    const q = query();
    const waiting = q("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000000) SELECT count(*) AS n FROM c");
    process.kill(before!, "SIGKILL");
    await expect(waiting).rejects.toSatisfy((e: unknown) => e instanceof LibsqlError && e.code === "CLIENT_CLOSED");
    await expect(q("SELECT 1 AS x")).rejects.toSatisfy((e: unknown) => e instanceof LibsqlError && e.code === "CLIENT_CLOSED");
    expect(reads.current()).toBeNull(); // a new process is starting
    expect(await reads.ready()).toBe(true);
    expect(reads.pid()).not.toBe(before);
    expect((await query()("SELECT v FROM t WHERE k = 3"))[0]!.v).toBe("later");
  }, 20_000);

  it("has the file open only while reads come: an idle one holds no lock a crash recovery would wait for", async () => {
    const short = startReadProcess(`file:${file}`, 5000, 300);
    try {
      expect(await short.ready()).toBe(true);
      const holdsFile = () =>
        readdirSync(`/proc/${short.pid()}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${short.pid()}/fd/${fd}`) === file;
          } catch {
            return false;
          }
        });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      expect(holdsFile()).toBe(false); // it opened the file to start, and closed it
      const rows = Number((await writer.execute("SELECT count(*) AS n FROM t")).rows[0]!.n);
      expect((await short.current()!("SELECT count(*) AS n FROM t"))[0]!.n).toBe(rows);
      expect(holdsFile()).toBe(true);
      await sleep(600);
      expect(holdsFile()).toBe(false);
      // Opened again for the next read, committed writes included.
      await writer.execute("INSERT INTO t (k, v) VALUES (40, 'after idle')");
      expect((await short.current()!("SELECT v FROM t WHERE k = 40"))[0]!.v).toBe("after idle");
    } finally {
      await short.close();
    }
  });

  it("ends when the server's process ends, even killed, and keeps no server alive", async () => {
    // A server stand-in that starts a read process, says its pid and then has nothing left to do.
    const script = join(dir, "owner.mts");
    writeFileSync(
      script,
      `import { startReadProcess } from ${JSON.stringify(resolve("src/runtime/read-process.ts"))};
       const reads = startReadProcess(${JSON.stringify(`file:${file}`)}, 5000);
       console.log(await reads.ready(), reads.pid());
       if (process.argv[2] === "stay") setInterval(() => {}, 1000);`,
    );
    const run = (mode: string) => {
      const owner = spawn(process.execPath, ["--import", "tsx", script, mode], { stdio: ["ignore", "pipe", "inherit"] });
      const line = new Promise<number>((ok) => owner.stdout!.once("data", (b: Buffer) => ok(Number(/true (\d+)/.exec(b.toString())![1]))));
      const exited = new Promise<number | null>((ok) => owner.once("exit", (code) => ok(code)));
      return { owner, line, exited };
    };
    const gone = async (pid: number) => {
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      return !isAlive(pid);
    };
    // Nothing else to do: the owner exits by itself, and so does its read process.
    const idle = run("idle");
    const idleChild = await idle.line;
    expect(await idle.exited).toBe(0);
    expect(await gone(idleChild)).toBe(true);
    // Killed: its read process ends too.
    const killed = run("stay");
    const killedChild = await killed.line;
    expect(isAlive(killedChild)).toBe(true);
    killed.owner.kill("SIGKILL");
    await killed.exited;
    expect(await gone(killedChild)).toBe(true);
  }, 30_000);
});
