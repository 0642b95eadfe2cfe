import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { uuidv7 } from "uuidv7";
import fc from "fast-check";
import { openDatabase } from "../../src/runtime/node-server.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore, NewEvent } from "../../src/store/event-store.js";

let dir: string;
let client: Client;
let store: EventStore;
/** The same store with its writes on the database thread (the Node server's default). */
let threadStore: EventStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "store-"));
  client = await openDatabase(`file:${join(dir, "s.db")}`);
  store = createLibsqlEventStore(client);
  threadStore = createLibsqlEventStore(await openDatabase(`file:${join(dir, "t.db")}`, undefined, { thread: true }));
});
afterAll(async () => {
  await store.close();
  await threadStore.close();
  rmSync(dir, { recursive: true, force: true });
});

const meta = { Actor: "test", RequestId: null, CorrelationId: null, CausationId: null };
const created = (id: string, version = 1, eventId = uuidv7()): NewEvent => ({
  eventId,
  streamId: `instance-${id}`,
  streamVersion: version,
  type: version === 1 ? "InstanceCreated" : "InstanceUpdated",
  data: version === 1 ? { InstanceId: id, EntityId: "e", Fields: {}, RowVersion: "r", RunId: null } : { InstanceId: id, EntityId: "e", Changes: {}, RowVersion: "r", RunId: null },
  metadata: meta,
});
const at = "2026-01-01T00:00:00.000Z";

describe("libSQL event store", () => {
  it("appends a commit atomically with contiguous, gap-free positions", async () => {
    const a = await store.append({ events: [created("a"), created("b")], projections: [], recordedAt: at });
    const b = await store.append({ events: [created("c")], projections: [], recordedAt: at });
    expect(a).toMatchObject({ ok: true, firstPosition: 1, lastPosition: 2 });
    expect(b).toMatchObject({ ok: true, firstPosition: 3, lastPosition: 3 });
    const all = await store.read({ limit: 100 });
    expect(all.map((e) => e.position)).toEqual([1, 2, 3]);
  });

  it("refuses a second event at the same stream version (optimistic concurrency)", async () => {
    const r = await store.append({ events: [created("a")], projections: [], recordedAt: at });
    expect(r).toMatchObject({ ok: false, reason: "stream_conflict" });
    expect(await store.append({ events: [created("a", 2)], projections: [], recordedAt: at })).toMatchObject({ ok: true });
  });

  it("reports a repeated event id as a duplicate commit and writes nothing", async () => {
    const id = uuidv7();
    expect((await store.append({ events: [created("d", 1, id)], projections: [], recordedAt: at })).ok).toBe(true);
    const before = (await store.read({ limit: 1000 })).length;
    expect(await store.append({ events: [created("e"), created("f", 1, id)], projections: [], recordedAt: at })).toMatchObject({ ok: false, reason: "duplicate" });
    expect((await store.read({ limit: 1000 })).length).toBe(before);
  });

  it("rolls back the events when a projection statement of the same commit fails", async () => {
    const before = (await store.read({ limit: 1000 })).length;
    const r = await store.append({
      events: [created("g")],
      projections: [{ sql: "INSERT INTO entity_definitions (id, key) VALUES (?, ?)", args: ["x", null] }],
      recordedAt: at,
    });
    expect(r.ok).toBe(false);
    expect((await store.read({ limit: 1000 })).length).toBe(before);
    expect(await store.readStream("instance-g")).toEqual([]);
  });

  it("refuses UPDATE and DELETE on the log at the database level", async () => {
    await expect(client.execute("UPDATE events SET type = 'x' WHERE position = 1")).rejects.toThrow(/append-only/);
    await expect(client.execute("DELETE FROM events WHERE position = 1")).rejects.toThrow(/append-only/);
    expect((await store.read({ limit: 1 }))[0]!.type).toBe("InstanceCreated");
  });

  it("reads by stream, type and position", async () => {
    expect((await store.readStream("instance-a")).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await store.read({ limit: 10, type: "InstanceUpdated" })).map((e) => e.streamId)).toEqual(["instance-a"]);
    expect((await store.read({ after: 2, limit: 1 }))[0]!.position).toBe(3);
  });

  it.each([
    ["on this thread", () => store],
    ["on the database thread", () => threadStore],
  ])("stores each event's data and metadata text exactly as JSON.stringify writes it, at positions in commit order (%s)", async (_, storeOf) => {
    // Multi-event commits send the rows as one JSON array through json_each() and the data texts
    // as the UTF-8 bytes of one BLOB, cut by byte offsets: every escape (lone surrogates, control
    // characters), number literal, key order and non-ASCII character must come back untouched,
    // and a metadata shared by the commit's events is bound once and stored for each.
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const text = fc.string({ unit, maxLength: 12 });
    const long = fc.oneof(fc.string({ unit, minLength: 50, maxLength: 400 }), fc.string({ unit: fc.constantFrom("ü", "€", "𝄞", "a"), minLength: 50, maxLength: 400 }));
    const value = fc.oneof(text, long, fc.double(), fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => Number(n)), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }));
    const fields = fc.dictionary(text, value, { maxKeys: 6 });
    const s = storeOf();
    await fc.assert(
      // One metadata object for the whole commit (bound once) or one per event (one per row).
      fc.asyncProperty(fc.array(fields, { minLength: 2, maxLength: 8 }), text, fc.boolean(), async (all, requestId, shared) => {
        const metadata = { Actor: "prop", RequestId: requestId, CorrelationId: null, CausationId: null };
        const metaOf = (i: number) => (shared ? metadata : { ...metadata, CorrelationId: `${requestId}${i}` });
        const events = all.map((Fields, i): NewEvent => ({ ...created(`p-${uuidv7()}`), data: { InstanceId: `p${i}`, EntityId: "e", Fields, RowVersion: "r", RunId: null }, metadata: metaOf(i) }));
        const r = await s.append({ events, projections: [], recordedAt: at });
        if (!r.ok) throw new Error(r.reason);
        const rows = await s.query({ sql: "SELECT event_id, data, metadata FROM events WHERE position BETWEEN ? AND ? ORDER BY position", args: [r.firstPosition, r.lastPosition] });
        expect(rows.map((row) => row.event_id)).toEqual(events.map((e) => e.eventId));
        expect(rows.map((row) => row.data)).toEqual(events.map((e) => JSON.stringify(e.data)));
        expect(rows.map((row) => row.metadata)).toEqual(events.map((e) => JSON.stringify(e.metadata)));
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ["on this thread", () => store],
    ["on the database thread", () => threadStore],
  ])("stores long data texts of multi-byte characters exactly, also where the BLOB must grow (%s)", async (_, storeOf) => {
    // 3- and 4-byte characters in texts of ≈ 75-120 KB, between short ones: the BLOB sized for
    // mostly-ASCII text grows, and each offset after them counts bytes, not UTF-16 units.
    const events = ["a", "€".repeat(25_000), "ü", "𝄞".repeat(30_000) + "x", "end"].map((value, i): NewEvent => ({
      ...created(`long-${uuidv7()}`),
      data: { InstanceId: `l${i}`, EntityId: "e", Fields: { value }, RowVersion: "r", RunId: null },
    }));
    const s = storeOf();
    const r = await s.append({ events, projections: [], recordedAt: at });
    if (!r.ok) throw new Error(r.reason);
    const rows = await s.query({ sql: "SELECT data FROM events WHERE position BETWEEN ? AND ? ORDER BY position", args: [r.firstPosition, r.lastPosition] });
    expect(rows.map((row) => row.data)).toEqual(events.map((e) => JSON.stringify(e.data)));
  });

  it("runs in WAL mode with a busy timeout", async () => {
    expect((await client.execute("PRAGMA journal_mode")).rows[0]![0]).toBe("wal");
    expect(Number((await client.execute("PRAGMA busy_timeout")).rows[0]![0])).toBeGreaterThanOrEqual(5000);
  });
});
