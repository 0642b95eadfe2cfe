import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibsqlBatchError, LibsqlError, type Client } from "@libsql/client";
import { openDatabase } from "../../src/runtime/open-database.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";

/**
 * The Node server's embedded file writes on a worker thread (src/runtime/thread-client.ts) and
 * reads on the main thread (split-client.ts). What the store relies on must come through
 * unchanged: pragmas set once hold for every later call on both connections, a read after a
 * write sees it, rows have the client's shape, and a failed statement surfaces as the
 * LibsqlError / LibsqlBatchError the in-thread client throws.
 */
let dir: string;
let client: Client;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "thread-db-"));
  client = await openDatabase(`file:${join(dir, "t.db")}`, undefined, { thread: true });
});
afterAll(() => {
  client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("embedded database on its own thread", () => {
  it("runs the pragmas and migrations on its connection", async () => {
    const pragma = async (name: string) => (await client.execute(`PRAGMA ${name}`)).rows[0]![0];
    const seen = await Promise.all(["cache_size", "mmap_size", "synchronous", "busy_timeout", "journal_mode", "page_size"].map(pragma));
    // A PRAGMA answers from the writer, which maps nothing: the reader alone maps the file.
    expect(seen).toEqual([-65536, 0, 2, 5000, "wal", 16384]);
    expect(Number((await client.execute("SELECT count(*) AS n FROM __drizzle_migrations")).rows[0]!.n)).toBeGreaterThan(0);
  });

  it("a read started after a write resolved sees it, rows in the client's shape", async () => {
    await client.execute("CREATE TABLE o (k INTEGER PRIMARY KEY, v TEXT, b BLOB)");
    const [written] = await client.batch([{ sql: "INSERT INTO o (k, v, b) VALUES (?, ?, ?)", args: [1, "one", new Uint8Array([1, 2]).buffer] }], "write");
    const rs = await client.execute({ sql: "SELECT k, v, b FROM o WHERE k = ?", args: [1] });
    expect(written!.rowsAffected).toBe(1);
    expect(written!.lastInsertRowid).toBe(1n);
    expect(rs.columns).toEqual(["k", "v", "b"]);
    const row = rs.rows[0]!;
    expect([row[0], row.k, row[1], row.v, row.length]).toEqual([1, 1, "one", "one", 3]);
    expect(new Uint8Array(row.b as ArrayBuffer)).toEqual(new Uint8Array([1, 2]));
    expect(Object.keys(row)).toEqual(["k", "v", "b"]);
    // A write's result crossed the thread hop: its rows come back in the same shape.
    const [returned] = await client.batch([{ sql: "INSERT INTO o (k, v) VALUES (2, 'two') RETURNING k, v", args: [] }], "write");
    expect(Object.keys(returned!.rows[0]!)).toEqual(["k", "v"]);
    expect(returned!.toJSON()).toMatchObject({ rows: [[2, "two"]] });
  });

  it("reads run on a connection of this thread, writes and schema changes on the database thread", async () => {
    // A TEMP table exists only on the connection that made it: the writer's is invisible to reads.
    await client.execute("CREATE TEMP TABLE only_writer (x)");
    await client.execute("WITH v(x) AS (SELECT 1) INSERT INTO only_writer SELECT x FROM v");
    await expect(client.execute("SELECT x FROM only_writer")).rejects.toMatchObject({ code: "SQLITE_ERROR" });
    await expect(client.execute("WITH w AS (SELECT x FROM only_writer) SELECT * FROM w")).rejects.toMatchObject({ code: "SQLITE_ERROR" });
    await expect(client.batch(["SELECT x FROM only_writer"], "read")).rejects.toBeInstanceOf(LibsqlError);
    expect((await client.batch(["SELECT x FROM only_writer"], "write"))[0]!.rows.map((r) => r.x)).toEqual([1]);
    // Per-connection pragmas hold on the reading connection too (a SELECT of a pragma runs there).
    const read = async (name: string) => (await client.execute(`SELECT * FROM pragma_${name}()`)).rows[0]![0];
    expect(await Promise.all(["cache_size", "busy_timeout", "foreign_keys", "synchronous"].map(read))).toEqual([-65536, 5000, 1, 2]);
  });

  it("surfaces a constraint failure as the client's LibsqlBatchError, codes and statement index included", async () => {
    await client.execute("CREATE TABLE u (x TEXT PRIMARY KEY)");
    await client.execute({ sql: "INSERT INTO u VALUES (?)", args: ["a"] });
    const error = await client.batch([{ sql: "INSERT INTO u VALUES (?)", args: ["b"] }, { sql: "INSERT INTO u VALUES (?)", args: ["a"] }], "write").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect(error).toBeInstanceOf(LibsqlError);
    const e = error as LibsqlBatchError;
    expect(e.code).toMatch(/^SQLITE_CONSTRAINT/);
    expect(e.statementIndex).toBe(1);
    expect(e.message).toContain("UNIQUE constraint failed: u.x");
    // Word for word what the client throws on this thread (the store matches on the message).
    const { createClient } = await import("@libsql/client");
    const direct = createClient({ url: `file:${join(dir, "t.db")}` });
    const expected = (await direct.batch([{ sql: "INSERT INTO u VALUES (?)", args: ["a"] }], "write").catch((err: unknown) => err)) as LibsqlBatchError;
    direct.close();
    expect([e.message, e.code, e.extendedCode, e.rawCode]).toEqual([expected.message, expected.code, expected.extendedCode, expected.rawCode]);
    // The batch was one transaction: its first insert is gone too.
    expect((await client.execute("SELECT x FROM u ORDER BY x")).rows.map((r) => r.x)).toEqual(["a"]);
    const single = await client.execute("SELECT nope FROM u").catch((err: unknown) => err);
    expect(single).toBeInstanceOf(LibsqlError);
    expect((single as LibsqlError).code).toBe("SQLITE_ERROR");
  });

  it("the store tells a stream conflict from other failures as before", async () => {
    const store = createLibsqlEventStore(client);
    const event = (eventId: string, streamId = "s-1") => ({ eventId, streamId, streamVersion: 1, type: "EntityDefinitionCreated" as const, data: {}, metadata: { Actor: "t", CausationId: null } as never });
    const recordedAt = new Date().toISOString();
    expect(await store.append({ events: [event("e-1")], projections: [], recordedAt })).toMatchObject({ ok: true });
    expect(await store.append({ events: [event("e-2")], projections: [], recordedAt })).toMatchObject({ ok: false, reason: "stream_conflict" });
    expect(await store.append({ events: [event("e-1", "s-2")], projections: [], recordedAt })).toMatchObject({ ok: false, reason: "duplicate" });
  });

  it("refuses calls once closed", async () => {
    const other = await openDatabase(`file:${join(dir, "c.db")}`, undefined, { thread: true });
    const pending = other.execute("SELECT 1 AS one");
    other.close();
    expect((await pending).rows[0]!.one).toBe(1);
    await expect(other.execute("SELECT 1")).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
  });
});
