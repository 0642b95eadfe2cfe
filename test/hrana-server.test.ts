// Drives test/support/hrana-server.ts with the stock @libsql/client/web and drizzle, the way the
// Worker will talk to Turso. Every test gets its own server on a fresh temp-file database.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, LibsqlBatchError, LibsqlError, type Client } from "@libsql/client/web";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql/web";
import { migrate } from "drizzle-orm/libsql/migrator";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHranaServer, type HranaServer, type HranaServerOptions } from "./support/hrana-server";

let dir: string;
let server: HranaServer;
let client: Client;
const cleanups: (() => unknown)[] = [];

async function start(extra: Partial<HranaServerOptions> = {}): Promise<HranaServer> {
  const s = await startHranaServer({ path: join(dir, `db-${cleanups.length}.sqlite`), ...extra });
  cleanups.push(() => s.close());
  return s;
}

function connect(url: string, config: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  const c = createClient({ url, ...config });
  cleanups.push(() => c.close());
  return c;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hrana-test-"));
  server = await start();
  client = connect(server.url);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<LibsqlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibsqlError);
  return error as LibsqlError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("@libsql/client/web over the hrana test server", () => {
  it("creates a table and binds positional, ?NNN and named (:, @, $) arguments", async () => {
    await client.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)");
    const ada = await client.execute({ sql: "INSERT INTO people (name, age) VALUES (?, ?)", args: ["Ada", 36] });
    expect(ada.rowsAffected).toBe(1);
    expect(ada.lastInsertRowid).toBe(1n);
    await client.execute({ sql: "INSERT INTO people (name, age) VALUES (?2, ?1)", args: [41, "Grace"] });
    // Named arguments with and without their prefix, as the client docs allow.
    await client.execute({ sql: "INSERT INTO people (name, age) VALUES (:name, :age)", args: { name: "Linus", ":age": 55 } });

    const rs = await client.execute({
      sql: "SELECT id, name, age FROM people WHERE age > @min AND name <> $skip ORDER BY age",
      args: { min: 30, $skip: "Linus" },
    });
    expect(rs.columns).toEqual(["id", "name", "age"]);
    expect(rs.columnTypes).toEqual(["INTEGER", "TEXT", "INTEGER"]);
    expect(rs.rows.map((r) => [r.name, r.age])).toEqual([
      ["Ada", 36],
      ["Grace", 41],
    ]);
    const all = await client.execute("SELECT name FROM people ORDER BY id");
    expect(all.rows.map((r) => r.name)).toEqual(["Ada", "Grace", "Linus"]);
  });

  it("round-trips null, 64-bit integers, floats, unicode text and blobs with their SQLite types", async () => {
    const big = connect(server.url, { intMode: "bigint" });
    await big.execute("CREATE TABLE vals (k INTEGER PRIMARY KEY, v)"); // no affinity: values stay as bound
    const blob = Uint8Array.from({ length: 256 }, (_, i) => i ^ 0xab);
    const cases: [unknown, string][] = [
      [null, "null"],
      [0n, "integer"],
      [-42n, "integer"],
      [2n ** 53n + 1n, "integer"],
      [9223372036854775807n, "integer"],
      [-9223372036854775808n, "integer"],
      [0.5, "real"],
      [3, "real"], // a JS number is a float in Hrana, even when it is whole
      [1e18, "real"],
      [-Number.MAX_VALUE, "real"],
      [Number.MIN_VALUE, "real"],
      ["", "text"],
      ["naïve ☃ 🐎 日本語 žluťoučký kůň", "text"],
      ["quotes ' \" and\nnewlines\t", "text"],
      [blob, "blob"],
    ];
    await big.batch(
      cases.map(([v], k) => ({ sql: "INSERT INTO vals (k, v) VALUES (?, ?)", args: [k, v as never] })),
      "write",
    );
    const rs = await big.execute("SELECT v, typeof(v) AS t FROM vals ORDER BY k");
    expect(rs.rows.map((r) => r.t)).toEqual(cases.map(([, t]) => t));
    rs.rows.forEach((row, i) => {
      const expected = cases[i]![0];
      if (expected instanceof Uint8Array) {
        expect(row.v).toBeInstanceOf(ArrayBuffer);
        expect(new Uint8Array(row.v as ArrayBuffer)).toEqual(expected);
      } else {
        // Strict: in bigint mode an INTEGER would come back as 3n, so the REAL 3.0 must be the number 3.
        expect(row.v).toStrictEqual(expected);
      }
    });

    // In the default "number" mode the client refuses integers it cannot represent: proof that the
    // server sent an integer (as a string), not a lossy float.
    await expect(client.execute("SELECT 9007199254740993")).rejects.toThrow(RangeError);
    expect((await client.execute("SELECT 9007199254740991 AS n")).rows[0]!.n).toBe(9007199254740991);
  });

  it("reports rowsAffected and lastInsertRowid per statement", async () => {
    const big = connect(server.url, { intMode: "bigint" });
    await big.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const huge = await big.execute({ sql: "INSERT INTO t (id, v) VALUES (?, 'huge')", args: [2n ** 62n + 1n] });
    expect(huge.lastInsertRowid).toBe(2n ** 62n + 1n); // beyond 2^53: no precision lost
    expect((await big.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')")).rowsAffected).toBe(3);
    expect((await big.execute("UPDATE t SET v = upper(v) WHERE v IN ('a', 'b')")).rowsAffected).toBe(2);

    const returning = await big.execute("INSERT INTO t (v) VALUES ('d') RETURNING id, v");
    expect(returning.rowsAffected).toBe(1);
    expect(returning.rows.map((r) => r.v)).toEqual(["d"]);
    expect(returning.lastInsertRowid).toBe(returning.rows[0]!.id);

    // A SELECT or DDL after DML in the same stream must not inherit the DML's count.
    const [, select, ddl] = await big.batch(
      ["DELETE FROM t WHERE v = 'c'", "SELECT count(*) AS n FROM t", "CREATE INDEX t_v ON t (v)"],
      "write",
    );
    expect(select!.rowsAffected).toBe(0);
    expect(select!.rows[0]!.n).toBe(4n);
    expect(ddl!.rowsAffected).toBe(0);
  });

  it("batch('write') returns one result per statement and commits them together", async () => {
    const results = await client.batch(
      [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)",
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["one"] },
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["two"] },
        "SELECT name FROM items ORDER BY id",
      ],
      "write",
    );
    expect(results).toHaveLength(4);
    expect(results[3]!.rows.map((r) => r.name)).toEqual(["one", "two"]);
    const other = connect(server.url);
    expect((await other.execute("SELECT count(*) AS n FROM items")).rows[0]!.n).toBe(2);
  });

  it("batch('write') is atomic: a constraint failure in the middle rolls back the whole batch", async () => {
    await client.execute("CREATE TABLE users (email TEXT NOT NULL UNIQUE)");
    await client.execute("INSERT INTO users VALUES ('a@example.com')");

    const error = await rejection(
      client.batch(
        [
          "INSERT INTO users VALUES ('b@example.com')",
          "INSERT INTO users VALUES ('a@example.com')",
          "INSERT INTO users VALUES ('c@example.com')",
        ],
        "write",
      ),
    );
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect((error as LibsqlBatchError).statementIndex).toBe(1);
    expect(error.code).toBe("SQLITE_CONSTRAINT"); // sqld reports the primary code only
    expect(error.message).toMatch(/UNIQUE constraint failed: users\.email/);

    const rs = await client.execute("SELECT email FROM users ORDER BY email");
    expect(rs.rows.map((r) => r.email)).toEqual(["a@example.com"]);
  });

  it("transaction('write') spans several requests; commit publishes and rollback discards", async () => {
    await client.execute("CREATE TABLE notes (body TEXT)");
    const count = async (c: Client) => (await c.execute("SELECT count(*) AS n FROM notes")).rows[0]!.n;

    const tx = await client.transaction("write");
    await tx.execute({ sql: "INSERT INTO notes VALUES (?)", args: ["first"] });
    expect((await tx.execute("SELECT count(*) AS n FROM notes")).rows[0]!.n).toBe(1);
    expect(await count(client)).toBe(0); // not visible outside before COMMIT
    await tx.batch([
      { sql: "INSERT INTO notes VALUES (?)", args: ["second"] },
      { sql: "INSERT INTO notes VALUES (?)", args: ["third"] },
    ]);
    await tx.commit();
    expect(tx.closed).toBe(true);
    expect(await count(client)).toBe(3);

    const tx2 = await client.transaction("write");
    await tx2.execute("INSERT INTO notes VALUES ('discarded')");
    await tx2.execute("DELETE FROM notes WHERE body = 'first'");
    await tx2.rollback();
    const rs = await client.execute("SELECT body FROM notes ORDER BY rowid");
    expect(rs.rows.map((r) => r.body)).toEqual(["first", "second", "third"]);
  });

  it("a write from another stream waits for an open transaction instead of failing with SQLITE_BUSY", async () => {
    await client.execute("CREATE TABLE log (who TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO log VALUES ('transaction')");

    const started = Date.now();
    const concurrent = client.execute("INSERT INTO log VALUES ('concurrent')");
    await sleep(150);
    await tx.commit();
    await concurrent;
    expect(Date.now() - started).toBeLessThan(3_000);
    const rs = await client.execute("SELECT who FROM log ORDER BY rowid");
    expect(rs.rows.map((r) => r.who)).toEqual(["transaction", "concurrent"]);
  });

  it("migrate() applies its statements atomically", async () => {
    const ok = await client.migrate([
      "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))",
      "INSERT INTO parent (id) VALUES (1)",
    ]);
    expect(ok).toHaveLength(3);

    await rejection(
      client.migrate(["CREATE TABLE half_done (x)", "INSERT INTO no_such_table VALUES (1)"]),
    );
    const tables = await client.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    expect(tables.rows.map((r) => r.name)).toEqual(["child", "parent"]);
  });

  it("a trigger's RAISE(ABORT) rejects the statement with its message and changes nothing", async () => {
    await client.executeMultiple(`
      CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
      BEGIN
        SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
      END;
      INSERT INTO events (data) VALUES ('kept');
    `);
    const error = await rejection(client.execute("DELETE FROM events"));
    expect(error.code).toBe("SQLITE_CONSTRAINT");
    expect(error.message).toContain("events are append-only: DELETE refused");
    expect((await client.execute("SELECT data FROM events")).rows.map((r) => r.data)).toEqual(["kept"]);
  });

  it("rejects what sqld rejects, with sqld's error codes", async () => {
    expect((await rejection(client.execute("SELECT * FROM missing"))).code).toBe("SQLITE_UNKNOWN");
    expect((await rejection(client.execute("SELEC 1"))).code).toBe("SQL_PARSE_ERROR");
    expect((await rejection(client.execute("SELECT 1; SELECT 2"))).code).toBe("SQL_MANY_STATEMENTS");
    expect((await rejection(client.execute("-- nothing here"))).code).toBe("SQL_NO_STATEMENT");
    expect((await rejection(client.execute({ sql: "SELECT ?, ?", args: [1] }))).code).toBe("ARGS_INVALID");
    expect((await rejection(client.execute({ sql: "SELECT ?", args: [1, 2] }))).code).toBe("ARGS_INVALID");
    expect((await rejection(client.execute({ sql: "SELECT :a", args: { b: 1 } }))).code).toBe("ARGS_INVALID");
    // Semicolons inside strings, comments and trigger bodies do not split a statement.
    const rs = await client.execute("SELECT 'a;b' AS s /* ; */ -- ;\n");
    expect(rs.rows[0]!.s).toBe("a;b");
  });

  it("close() on a transaction rolls it back on the server; close() on the client stops it", async () => {
    await client.execute("CREATE TABLE t (v TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('abandoned')");
    tx.close();
    expect(tx.closed).toBe(true);

    // The write lock is gone at once (no 5 s wait) and the abandoned row never happened.
    const started = Date.now();
    await client.execute("INSERT INTO t VALUES ('next')");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await client.execute("SELECT v FROM t")).rows.map((r) => r.v)).toEqual(["next"]);

    client.close();
    expect(client.closed).toBe(true);
    await expect(client.execute("SELECT 1")).rejects.toThrow();
  });

  it("requires the bearer token when one is configured", async () => {
    const secured = await start({ authToken: "s3cret" });
    const good = connect(secured.url, { authToken: "s3cret" });
    expect((await good.execute("SELECT 7 AS n")).rows[0]!.n).toBe(7);

    const wrong = await rejection(connect(secured.url, { authToken: "nope" }).execute("SELECT 1"));
    expect(wrong.code).toBe("SERVER_ERROR");
    expect(wrong.message).toMatch(/401/);
    await rejection(connect(secured.url).execute("SELECT 1"));
  });

  it("serves a ':memory:' database shared by all streams", async () => {
    const mem = await start({ path: ":memory:" });
    const c = connect(mem.url);
    await c.execute("CREATE TABLE m (x)");
    await c.execute("INSERT INTO m VALUES (1)");
    expect((await c.execute("SELECT count(*) AS n FROM m")).rows[0]!.n).toBe(1);
  });
});

describe("Hrana wire protocol details", () => {
  async function pipeline(body: unknown, url = server.url) {
    const res = await fetch(`${url}/v2/pipeline`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("answers the v2 version check and nothing newer", async () => {
    expect((await fetch(`${server.url}/v2`)).status).toBe(200);
    expect((await fetch(`${server.url}/v3`)).status).toBe(404);
    expect((await fetch(`${server.url}/v3-protobuf`)).status).toBe(404);
  });

  it("keeps a stream's connection and stored SQL across requests, with a fresh baton each time", async () => {
    const first = await pipeline({
      requests: [
        { type: "store_sql", sql_id: 1, sql: "SELECT ? + 1 AS n" },
        { type: "execute", stmt: { sql: "BEGIN" } },
        { type: "execute", stmt: { sql_id: 1, args: [{ type: "integer", value: "41" }], want_rows: true } },
      ],
    });
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: any) => r.type)).toEqual(["ok", "ok", "ok"]);
    expect(first.body.results[2].response.result.rows).toEqual([[{ type: "integer", value: "42" }]]);
    const baton1 = first.body.baton as string;
    expect(typeof baton1).toBe("string");

    const second = await pipeline({
      baton: baton1,
      requests: [
        { type: "get_autocommit" },
        { type: "execute", stmt: { sql_id: 1, args: [{ type: "float", value: 1.5 }] } },
      ],
    });
    expect(second.body.results[0].response.is_autocommit).toBe(false); // still inside BEGIN
    expect(second.body.results[1].response.result.rows).toEqual([[{ type: "float", value: 2.5 }]]);
    expect(second.body.baton).not.toBe(baton1);

    const replay = await pipeline({ baton: baton1, requests: [{ type: "get_autocommit" }] });
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe("STREAM_EXPIRED");

    const closed = await pipeline({ baton: second.body.baton, requests: [{ type: "close" }] });
    expect(closed.body).toMatchObject({ baton: null, results: [{ type: "ok", response: { type: "close" } }] });
  });

  it("evaluates batch conditions and reports per-step errors", async () => {
    const { body } = await pipeline({
      requests: [
        {
          type: "batch",
          batch: {
            steps: [
              { stmt: { sql: "SELECT 1" } },
              { stmt: { sql: "SELECT * FROM nope" } },
              { condition: { type: "ok", step: 1 }, stmt: { sql: "SELECT 'skipped'" } },
              { condition: { type: "error", step: 1 }, stmt: { sql: "SELECT 'ran'" } },
              {
                condition: { type: "and", conds: [{ type: "is_autocommit" }, { type: "not", cond: { type: "ok", step: 2 } }] },
                stmt: { sql: "SELECT 'and'" },
              },
              { condition: { type: "or", conds: [{ type: "ok", step: 2 }, { type: "error", step: 0 }] }, stmt: { sql: "SELECT 'or'" } },
            ],
          },
        },
        { type: "close" },
      ],
    });
    const result = body.results[0].response.result;
    expect(result.step_results.map((r: any) => r?.rows[0][0].value ?? null)).toEqual(["1", null, null, "ran", "and", null]);
    expect(result.step_errors.map((e: any) => e?.code ?? null)).toEqual([null, "SQLITE_UNKNOWN", null, null, null, null]);
    expect(result.step_errors[1].message).toMatch(/no such table: nope/);
  });

  it("describes a statement: parameters, columns, explain and read-only flags", async () => {
    await client.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, name TEXT)");
    const { body } = await pipeline({
      requests: [
        { type: "describe", sql: "SELECT id, name FROM d WHERE id = :id OR name = ?3" },
        { type: "describe", sql: "INSERT INTO d (name) VALUES (?)" },
        { type: "describe", sql: "EXPLAIN SELECT 1" },
        { type: "sequence", sql: "INSERT INTO d (name) VALUES ('x'); INSERT INTO d (name) VALUES ('y');" },
        { type: "close" },
      ],
    });
    const [select, insert, explain, sequence] = body.results.map((r: any) => r.response);
    expect(select.result).toEqual({
      params: [{ name: ":id" }, { name: null }, { name: "?3" }],
      cols: [
        { name: "id", decltype: "INTEGER" },
        { name: "name", decltype: "TEXT" },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(insert.result).toMatchObject({ params: [{ name: null }], cols: [], is_readonly: false });
    expect(explain.result.is_explain).toBe(true);
    expect(sequence.type).toBe("sequence");
    expect((await client.execute("SELECT count(*) AS n FROM d")).rows[0]!.n).toBe(2);
  });

  it("commits autocommit writes that follow an EXPLAIN of a write on the same stream", async () => {
    await client.execute("CREATE TABLE w (x)");
    const { body } = await pipeline({
      requests: [
        { type: "execute", stmt: { sql: "EXPLAIN QUERY PLAN INSERT INTO w SELECT x FROM w" } },
        { type: "execute", stmt: { sql: "EXPLAIN INSERT INTO w VALUES (?)" } },
        { type: "execute", stmt: { sql: "INSERT INTO w VALUES (1)" } },
        { type: "get_autocommit" },
      ],
    });
    expect(body.results.map((r: any) => r.type)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(body.results[1].response.result.rows.length).toBeGreaterThan(0);
    // Seen from another connection while the stream is still open: the INSERT really committed.
    expect((await client.execute("SELECT count(*) AS n FROM w")).rows[0]!.n).toBe(1);
    await pipeline({ baton: body.baton, requests: [{ type: "close" }] });
  });

  it("fails with SQLITE_BUSY after busyTimeoutMs and then refuses the stream rather than lose writes", async () => {
    const slow = await start({ busyTimeoutMs: 150 });
    const c = connect(slow.url);
    await c.execute("CREATE TABLE t (who TEXT)");
    const tx = await c.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('transaction')");

    const started = Date.now();
    const loser = await pipeline({ requests: [{ type: "execute", stmt: { sql: "INSERT INTO t VALUES ('loser')" } }] }, slow.url);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(loser.body.results[0]).toMatchObject({ type: "error", error: { code: "SQLITE_BUSY" } });
    await tx.commit();

    // libsql keeps the timed-out statement active, which would keep this connection's later writes
    // from ever committing; the server refuses them instead of answering "ok".
    const after = await pipeline(
      { baton: loser.body.baton, requests: [{ type: "execute", stmt: { sql: "INSERT INTO t VALUES ('after')" } }, { type: "close" }] },
      slow.url,
    );
    expect(after.body.results[0]).toMatchObject({ type: "error", error: { code: "SQLITE_BUSY" } });
    expect(after.body.results[1].type).toBe("ok");
    expect((await c.execute("SELECT who FROM t")).rows.map((r) => r.who)).toEqual(["transaction"]);
  });

  it("expires an idle stream and rolls back its open transaction", async () => {
    const quick = await start({ idleStreamTimeoutMs: 100 });
    const c = connect(quick.url);
    await c.execute("CREATE TABLE t (x)");
    const open = await pipeline(
      { requests: [{ type: "execute", stmt: { sql: "BEGIN" } }, { type: "execute", stmt: { sql: "INSERT INTO t VALUES (1)" } }] },
      quick.url,
    );
    expect(open.body.results.map((r: any) => r.type)).toEqual(["ok", "ok"]);
    await sleep(300);
    const late = await pipeline({ baton: open.body.baton, requests: [{ type: "execute", stmt: { sql: "COMMIT" } }] }, quick.url);
    expect(late.status).toBe(400);
    expect(late.body.code).toBe("STREAM_EXPIRED");
    expect((await c.execute("SELECT count(*) AS n FROM t")).rows[0]!.n).toBe(0);
  });
});

describe("drizzle-orm over the hrana test server", () => {
  const users = sqliteTable("users", {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email").notNull().unique(),
    name: text("name").notNull(),
  });

  function writeMigrations(): string {
    const folder = join(dir, "migrations");
    mkdirSync(join(folder, "meta"), { recursive: true });
    writeFileSync(
      join(folder, "meta", "_journal.json"),
      JSON.stringify({
        version: "7",
        dialect: "sqlite",
        entries: [{ idx: 0, version: "6", when: 1_700_000_000_000, tag: "0000_init", breakpoints: true }],
      }),
    );
    writeFileSync(
      join(folder, "0000_init.sql"),
      [
        "CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`email` text NOT NULL,\n\t`name` text NOT NULL\n);",
        "CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);",
        "CREATE TRIGGER `users_no_delete` BEFORE DELETE ON `users`\nBEGIN\n  SELECT RAISE(ABORT, 'users are kept forever');\nEND;",
      ].join("\n--> statement-breakpoint\n"),
    );
    return folder;
  }

  it("migrates, inserts, selects and rolls back a failed transaction", async () => {
    const db = drizzle({ client });
    const migrationsFolder = writeMigrations();
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder }); // second run is a no-op
    const applied = await client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
    expect(applied.rows[0]!.n).toBe(1);

    const [ada] = await db.insert(users).values({ email: "ada@example.com", name: "Ada" }).returning();
    expect(ada).toEqual({ id: 1, email: "ada@example.com", name: "Ada" });
    await db.insert(users).values([
      { email: "grace@example.com", name: "Grace" },
      { email: "linus@example.com", name: "Linus" },
    ]);
    expect(await db.select({ name: users.name }).from(users).where(eq(users.email, "grace@example.com"))).toEqual([
      { name: "Grace" },
    ]);

    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ email: "temp@example.com", name: "Temp" });
        await tx.insert(users).values({ email: "ada@example.com", name: "Duplicate" });
      }),
    ).rejects.toThrow();
    await expect(db.delete(users).where(eq(users.id, 1))).rejects.toThrow();

    const rows = await db.select().from(users).orderBy(users.id);
    expect(rows.map((u) => u.name)).toEqual(["Ada", "Grace", "Linus"]);
    const [{ n }] = (await db.all(sql`SELECT count(*) AS n FROM users`)) as [{ n: number }];
    expect(n).toBe(3);
  });
});
