import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectionDdl } from "../../src/replay/rebuild.js";
import { verifyProjections } from "../../src/replay/verify.js";
import { openDatabase } from "../../src/runtime/open-database.js";
import { startSqlReader } from "../../src/runtime/sql-reader.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";

/** The replay's second connection: a worker thread with its own connection to the same file. */

let server: TestServer;
let store: EventStore;
beforeAll(async () => {
  server = await startTestServer();
  await seedCandidate(server);
  const records = Array.from({ length: 30 }, (_, i) => ({ Fields: { email: `R${i}@example.at `, age: i } }));
  await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg(records)), SelectedRowIndexes: "1-30" });
  store = createLibsqlEventStore(await openDatabase(`file:${server.dbFile}`));
});
afterAll(async () => {
  await store.close();
  await server.close();
});

async function readyReader() {
  const reader = startSqlReader(`file:${server.dbFile}`);
  for (let i = 0; i < 200 && !reader.ready; i++) await new Promise((r) => setTimeout(r, 25));
  expect(reader.ready).toBe(true);
  return reader;
}

describe("SQL reader thread", () => {
  it("answers as the main connection does, BLOBs included, and reports statement errors", async () => {
    const reader = await readyReader();
    try {
      const sql = "SELECT id, version, fields, CAST(fields AS BLOB) AS b, NULL AS absent FROM instances ORDER BY id";
      const mine = await store.query(sql);
      const theirs = await reader.query({ sql: `${sql} LIMIT ?`, args: [1000] });
      expect(theirs).toHaveLength(30);
      theirs.forEach((row, i) => {
        expect(row.id).toBe(mine[i]!.id);
        expect(row.version).toBe(mine[i]!.version);
        expect(row.fields).toBe(mine[i]!.fields);
        expect(row.absent).toBeNull();
        expect(new Uint8Array(row.b as ArrayBuffer)).toEqual(new Uint8Array(mine[i]!.b as ArrayBuffer));
      });
      await expect(reader.query("SELECT * FROM no_such_table")).rejects.toThrow(/no_such_table/);
      expect(await reader.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await reader.close();
    }
    await expect(reader.query("SELECT 1")).rejects.toThrow(/closed/);
  });

  it("reads pages of the in-place check with the same verdict and checksums", async () => {
    const ddl = await projectionDdl(store);
    const alone = await verifyProjections(store, ddl);
    expect(alone).not.toBeNull();
    const reader = await readyReader();
    let calls = 0;
    const counted = { ...reader, ready: true, query: (s: Parameters<typeof reader.query>[0]) => (calls++, reader.query(s)) };
    try {
      expect(await verifyProjections(store, ddl, counted, 4)).toEqual(alone);
    } finally {
      await reader.close();
    }
    expect(calls).toBeGreaterThan(0);
  });
});
