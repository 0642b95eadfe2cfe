import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { openDatabase } from "../../src/runtime/open-database.js";
import { EMBEDDED_PRAGMAS, PAGE_SIZE } from "../../src/store/open-client.js";

/**
 * The embedded client runs every call on a pooled connection, and a PRAGMA such as cache_size
 * or mmap_size reaches only the connection it ran on. Calls that overlap used to open further
 * connections that had SQLite's defaults (a 2 MB page cache, no mmap): whichever call landed
 * there, an apply's lookups and writes included, ran with them.
 */
let dir: string;
let client: Client;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "open-db-"));
  client = await openDatabase(`file:${join(dir, "o.db")}`);
});
afterAll(() => {
  client.close();
  rmSync(dir, { recursive: true, force: true });
});

const pragma = async (name: string) => (await client.execute(`PRAGMA ${name}`)).rows[0]![0];

describe("embedded database connections", () => {
  it("every call, overlapping ones included, runs with the same pragmas", async () => {
    const expected = { cache_size: -65536, mmap_size: 268435456, synchronous: 2, busy_timeout: 5000, journal_mode: "wal" };
    expect(EMBEDDED_PRAGMAS).toMatchObject({ cache_size: expected.cache_size, mmap_size: expected.mmap_size });
    // Eight rounds of all five pragmas at once, beside a write batch: with a pool these borrow
    // several connections at the same time.
    const names = Object.keys(expected) as (keyof typeof expected)[];
    const rounds = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        if (i % 2) await client.batch([{ sql: "CREATE TABLE IF NOT EXISTS probe (x)", args: [] }, { sql: "INSERT INTO probe VALUES (?)", args: [i] }], "write");
        return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await pragma(n)] as const)));
      }),
    );
    for (const seen of rounds) expect(seen).toEqual(expected);
  });

  it("creates a new file with 16 KiB pages", async () => {
    expect(PAGE_SIZE).toBe(16384);
    expect(await pragma("page_size")).toBe(PAGE_SIZE);
  });

  it("opens an existing file with other pages as it is", async () => {
    const other = join(dir, "old.db");
    const { createClient } = await import("@libsql/client");
    const old = createClient({ url: `file:${other}` });
    await old.execute("PRAGMA page_size = 4096");
    await old.execute("PRAGMA journal_mode = WAL");
    await old.execute("CREATE TABLE t (x)");
    old.close();
    const reopened = await openDatabase(`file:${other}`);
    try {
      expect((await reopened.execute("PRAGMA page_size")).rows[0]![0]).toBe(4096);
      expect(Number((await reopened.execute("SELECT count(*) FROM __drizzle_migrations")).rows[0]![0])).toBeGreaterThan(0);
    } finally {
      reopened.close();
    }
  });
});
