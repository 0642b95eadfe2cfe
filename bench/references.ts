import { projections, type Event } from "@event-driven-io/emmett";
import { getSQLiteEventStore, sqliteConnection, type SQLiteConnection } from "@event-driven-io/emmett-sqlite";
import { join } from "node:path";
import { openDatabase } from "../src/runtime/open-database.js";
import { newId } from "../src/support/ids.js";
import type { EventMetadata } from "../events/metadata.js";
import type { NewEvent } from "../src/store/event-store.js";
import { eventInserts } from "../src/store/libsql-event-store.js";
import { projectEvents, type ProjectedEvent } from "../src/projections/project.js";
import type { DomainEvent } from "../events/catalog.js";
import { baseFields, packageRows, seedRows, type BenchRow } from "./generate.js";

/**
 * Two references on the same machine, each writing what our apply writes for the measured package:
 * one InstanceCreated per new row, one InstanceUpdated (the two changed fields) per changed row,
 * nothing for unchanged and error rows. Both start from the same seeded state (untimed) and are
 * quoted in package rows per second, the unit of our apply figure.
 *
 *  - raw: @libsql/client, our migrations and pragmas (the same `openDatabase`), the statements the
 *    store writes: 2000 package rows per atomic batch, the events through the store's own
 *    `eventInserts` and the projection through `projectEvents` (instance rows read back from the
 *    events just inserted, the identity claimed once), ids from the service's own generator
 *    (src/support/ids.ts). No reads, no deciding, no service.
 *  - emmett: @event-driven-io/emmett-sqlite, one stream per instance, each append checks its
 *    expected version (0 for a new stream, 1 for an update) and runs an inline projection into an
 *    instances table. Emmett appends one stream per transaction, so it runs on a sample.
 */

export type ReferenceResult =
  | { ok: true; ms: number; rows: number; events: number; rate: number; sampled: boolean; retries?: number }
  | { ok: false; reason: string };

/** Package rows per atomic batch, as ROWS_PER_COMMIT in src/services/apply-rows.ts. */
const BATCH = 2000;
const ENTITY_ID = "bench-entity";
const META = JSON.stringify({ Actor: "bench", RequestId: "bench", CorrelationId: "bench", CausationId: "bench-run" });

/** The changes an update writes: only the values that differ from the seeded state. */
function changesOf(row: BenchRow): Record<string, unknown> {
  const before = baseFields(row.key);
  return Object.fromEntries(Object.entries(row.fields).filter(([k, v]) => before[k] !== v));
}

type Write = { type: "InstanceCreated" | "InstanceUpdated"; instanceId: string; version: number; patch: Record<string, unknown> };

/** What one row writes, given the ids of the seeded keys (index = key). */
function writeOf(row: BenchRow, ids: string[]): Write | null {
  if (row.kind === "new") return { type: "InstanceCreated", instanceId: newId(), version: 1, patch: row.fields };
  if (row.kind === "changed") return { type: "InstanceUpdated", instanceId: ids[row.key]!, version: 2, patch: changesOf(row) };
  return null;
}

const META_OBJECT = JSON.parse(META) as EventMetadata;

function batchStatements(writes: Write[], at: string) {
  const events: NewEvent[] = [];
  const projected: ProjectedEvent[] = [];
  for (const w of writes) {
    const event = (
      w.type === "InstanceCreated"
        ? { type: w.type, data: { InstanceId: w.instanceId, EntityId: ENTITY_ID, Fields: w.patch, RowVersion: newId(), RunId: "bench-run" } }
        : { type: w.type, data: { InstanceId: w.instanceId, EntityId: ENTITY_ID, Changes: w.patch, RowVersion: newId(), RunId: "bench-run" } }
    ) as DomainEvent;
    const streamId = `instance-${w.instanceId}`;
    events.push({ eventId: newId(), streamId, streamVersion: w.version, type: event.type, data: event.data, metadata: META_OBJECT });
    projected.push({ event, streamVersion: w.version, streamId });
  }
  // The projection's own statements, as an apply's commit builds them (commitOptions in apply-rows.ts).
  const projection = projectEvents(projected, { recordedAt: at, actor: "bench", identityFields: () => ["email"], exclusiveClaims: { entityId: ENTITY_ID, fieldKey: "email" }, fromLog: true });
  return [...eventInserts(events, at), ...projection];
}

/** Batches of BATCH package rows, one atomic write each. */
function* batchesOf(rows: Iterable<BenchRow>): Generator<BenchRow[]> {
  let batch: BenchRow[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === BATCH) (yield batch, (batch = []));
  }
  if (batch.length) yield batch;
}

export async function rawReference(dir: string, size: number): Promise<ReferenceResult> {
  const client = await openDatabase(`file:${join(dir, "raw.db")}`);
  try {
    const ids: string[] = [];
    const at = new Date().toISOString();
    for (const batch of batchesOf(seedRows(size))) {
      const writes = batch.map((row) => {
        const w = writeOf(row, ids)!;
        ids[row.key] = w.instanceId;
        return w;
      });
      await client.batch(batchStatements(writes, at), "write");
    }
    let events = 0;
    let ms = 0;
    for (const batch of batchesOf(packageRows(size))) {
      // Generating the rows is the package's job, not the writer's: only building and running the batch is timed.
      const started = performance.now();
      const writes = batch.map((row) => writeOf(row, ids)).filter((w): w is Write => w !== null);
      events += writes.length;
      if (writes.length) await client.batch(batchStatements(writes, new Date().toISOString()), "write");
      ms += performance.now() - started;
    }
    return { ok: true, ms, rows: size, events, rate: size / (ms / 1000), sampled: false };
  } finally {
    client.close();
  }
}

type InstanceEvent = Event<"InstanceCreated" | "InstanceUpdated", { InstanceId: string; EntityId: string; Patch: Record<string, unknown>; RowVersion: string; RunId: string }>;

const PROJECTION_DDL = [
  `CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, fields TEXT NOT NULL, row_version TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS instance_keys (entity_id TEXT NOT NULL, field_key TEXT NOT NULL, value TEXT NOT NULL, instance_id TEXT NOT NULL, PRIMARY KEY (entity_id, field_key, value))`,
];

/** Emmett's inline projection: the same read model rows, written in the append's transaction. */
const instancesProjection = {
  name: "instances",
  canHandle: ["InstanceCreated", "InstanceUpdated"],
  async handle(events: InstanceEvent[], { connection }: { connection: SQLiteConnection }) {
    const at = new Date().toISOString();
    for (const { type, data } of events) {
      if (type === "InstanceCreated") {
        await connection.command("INSERT INTO instances (id, entity_id, fields, row_version, version, updated_at) VALUES (?,?,?,?,1,?)", [data.InstanceId, data.EntityId, JSON.stringify(data.Patch), data.RowVersion, at]);
        await connection.command("INSERT INTO instance_keys (entity_id, field_key, value, instance_id) VALUES (?,?,?,?)", [data.EntityId, "email", String(data.Patch.email).toLowerCase(), data.InstanceId]);
      } else {
        await connection.command("UPDATE instances SET fields = json_patch(fields, ?), row_version = ?, version = version + 1, updated_at = ? WHERE id = ?", [JSON.stringify(data.Patch), data.RowVersion, at, data.InstanceId]);
      }
    }
  },
};

/** Emmett on the first `sample` rows of the package (the mix of kinds holds in any prefix). */
export async function emmettReference(dir: string, size: number, sample: number): Promise<ReferenceResult> {
  const fileName = join(dir, "emmett.db");
  const ddl = sqliteConnection({ fileName });
  for (const sql of PROJECTION_DDL) await ddl.command(sql);
  ddl.close();
  const store = getSQLiteEventStore({ fileName, projections: projections.inline([instancesProjection]) });
  let retries = 0;
  const event = (w: Write): InstanceEvent => ({ type: w.type, data: { InstanceId: w.instanceId, EntityId: ENTITY_ID, Patch: w.patch, RowVersion: newId(), RunId: "bench-run" } });
  const append = (w: Write, expected: bigint) =>
    withRetry(
      () => store.appendToStream<InstanceEvent>(`instance-${w.instanceId}`, [event(w)], { expectedStreamVersion: expected }),
      () => retries++,
    );

  const rows: BenchRow[] = [];
  for (const row of packageRows(size)) if (rows.push(row) >= Math.min(sample, size)) break;
  // Seed (untimed): the streams the sample's changed rows update.
  const ids: string[] = [];
  for (const row of rows)
    if (row.kind === "changed") {
      const w = writeOf({ kind: "new", key: row.key, fields: baseFields(row.key) }, ids)!;
      ids[row.key] = w.instanceId;
      await append(w, 0n);
    }
  let events = 0;
  const started = performance.now();
  for (const row of rows) {
    const w = writeOf(row, ids);
    if (!w) continue;
    await append(w, w.type === "InstanceCreated" ? 0n : 1n);
    events++;
  }
  const ms = performance.now() - started; // the rows were generated before the clock started
  return { ok: true, ms, rows: rows.length, events, rate: rows.length / (ms / 1000), sampled: rows.length < size, retries };
}

/**
 * emmett-sqlite 0.38.5 now and then fails a COMMIT with "SQLITE_BUSY: cannot commit transaction -
 * SQL statements in progress" when an inline projection runs statements in the append's
 * transaction (a `RETURNING` statement not yet finalized), even with one writer. The transaction
 * is rolled back, so the append is retried as a client would; the count is reported.
 */
async function withRetry(append: () => Promise<unknown>, onRetry: () => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await append();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || attempt === 5) throw error;
      onRetry();
    }
  }
}
