import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { upcast } from "../../events/upcast.js";
import { openDatabase } from "../../src/runtime/open-database.js";
import { projectEvents } from "../../src/projections/project.js";
import { replayProjections } from "../../src/replay/replay.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { foldInstance } from "../../src/services/instances.service.js";

/**
 * A log written before InstanceCreated v2 existed: v1 events (no RunId) as an older release
 * stored them, with the projections that release wrote. Replay must upcast and agree.
 */
let dir: string;
let client: Client;
let store: EventStore;
const at = "2025-06-01T08:00:00.000Z";
const meta = JSON.stringify({ Actor: "tok_old", RequestId: null, CorrelationId: null, CausationId: null });
const definition = { DefinitionId: "def-1", Key: "candidate", DisplayNameSingular: "Candidate", DisplayNamePlural: "Candidates", Fields: [{ Key: "email", Label: "E-mail", Type: "email", Required: true, MaxLength: null, Options: null }] };
const oldCreated = (id: string, email: string) => ({ InstanceId: id, EntityId: "def-1", Fields: { email }, RowVersion: `rv-${id}` });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "upcast-"));
  client = await openDatabase(`file:${join(dir, "old.db")}`);
  store = createLibsqlEventStore(client);
  const raw: [string, string, number, string, number, unknown][] = [
    ["e1", "definition-def-1", 1, "EntityDefinitionCreated", 1, definition],
    ["e2", "instance-i1", 1, "InstanceCreated", 1, oldCreated("i1", "old@example.at")],
    ["e3", "instance-i2", 1, "InstanceCreated", 1, oldCreated("i2", "older@example.at")],
    ["e4", "instance-i1", 2, "InstanceUpdated", 1, { InstanceId: "i1", EntityId: "def-1", Changes: { email: "new@example.at" }, RowVersion: "rv-2", RunId: null }],
  ];
  for (const [id, stream, version, type, schemaVersion, data] of raw)
    await client.execute({
      sql: "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at) VALUES (?,?,?,?,?,?,?,?)",
      args: [id, stream, version, type, schemaVersion, JSON.stringify(data), meta, at],
    });
  // The projections the older release wrote for those events.
  const events = raw.map(([, , version, type, schemaVersion, data]) => ({ event: upcast(type, schemaVersion, data), streamVersion: version }));
  await client.batch(projectEvents(events, { recordedAt: at, actor: "tok_old", identityFields: () => [] }), "write");
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a log holding InstanceCreated v1 events", () => {
  it("stores them as schema version 1 without RunId", async () => {
    const stored = await store.readStream("instance-i2");
    expect(stored[0]).toMatchObject({ schemaVersion: 1, type: "InstanceCreated" });
    expect(stored[0]!.data).not.toHaveProperty("RunId");
  });

  it("upcasts v1 to the current version on read", async () => {
    const [e] = await store.readStream("instance-i2");
    expect(upcast(e!.type, e!.schemaVersion, e!.data)).toEqual({ type: "InstanceCreated", data: { ...oldCreated("i2", "older@example.at"), RunId: null } });
    expect(foldInstance(await store.readStream("instance-i1"))).toMatchObject({ Version: 2, Fields: { email: "new@example.at" }, RowVersion: "rv-2" });
  });

  it("replays to projections identical to the live ones", async () => {
    const report = await replayProjections(store);
    expect(report.Equal).toBe(true);
    expect(report.Events).toBe(4);
    expect(report.Projections.find((p) => p.Projection === "instances")).toMatchObject({ LiveRows: 2, RebuiltRows: 2, Equal: true });
  });

  it("refuses an event version newer than the code knows", () => {
    expect(() => upcast("InstanceCreated", 3, {})).toThrow(/newer than this code/);
  });
});
