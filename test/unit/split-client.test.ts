import { describe, expect, it } from "vitest";
import { isRead } from "../../src/runtime/split-client.js";

/** A statement judged a read runs on the other connection: a write must never be judged one. */
describe("which statements count as reads", () => {
  it.each([
    "SELECT 1",
    "  select * from events where type = 'x'",
    "WITH r AS (SELECT 1) SELECT * FROM r",
    "\n\tWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
  ])("read: %s", (sql) => expect(isRead(sql)).toBe(true));

  it.each([
    "INSERT INTO t VALUES (1)",
    "WITH r(k, v) AS MATERIALIZED (SELECT key, value FROM json_each(?1)) INSERT INTO events SELECT * FROM r",
    "with r as (select 1) update t set x = 1",
    "WITH r AS (SELECT 1) DELETE FROM t",
    "WITH r AS (SELECT 1) REPLACE INTO t SELECT * FROM r",
    "PRAGMA cache_size = 10",
    "PRAGMA journal_mode",
    "CREATE TABLE t (x)",
    "DROP TABLE t",
    "BEGIN",
    "VACUUM",
    "SELECTED", // not the SELECT keyword
    // A read that merely mentions a verb goes to the writer: slower, never wrong.
    "WITH r AS (SELECT 'insert' AS w) SELECT * FROM r",
  ])("not a read: %s", (sql) => expect(isRead(sql)).toBe(false));
});
