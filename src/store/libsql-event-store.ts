import type { Client, InValue, Row } from "@libsql/client";
import { currentSchemaVersion } from "../../events/catalog.js";
import type { EventMetadata } from "../../events/metadata.js";
import type { AppendOutcome, Commit, EventStore, NewEvent, ReadQuery, Stmt, StoredEvent } from "./event-store.js";
import { createMutex } from "./mutex.js";

const EVENT_COLUMNS = 8;
/** Rows per multi-row INSERT: few distinct statement texts, far below SQLite's variable limit. */
export const ROWS_PER_INSERT = 256;

export function createLibsqlEventStore(client: Client): EventStore {
  const exclusive = createMutex();

  return {
    append: (commit) => exclusive(() => appendCommit(client, commit)),
    write: (stmts) => exclusive(async () => void (await client.batch(stmts, "write"))),
    async read({ after = 0, limit, streamId, type }: ReadQuery) {
      const where = ["position > ?"];
      const args: InValue[] = [after];
      if (streamId) (where.push("stream_id = ?"), args.push(streamId));
      if (type) (where.push("type = ?"), args.push(type));
      args.push(limit);
      const rs = await client.execute({
        sql: `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY position LIMIT ?`,
        args,
      });
      return rs.rows.map(toStoredEvent);
    },
    async readStream(streamId) {
      const rs = await client.execute({
        sql: "SELECT * FROM events WHERE stream_id = ? ORDER BY stream_version",
        args: [streamId],
      });
      return rs.rows.map(toStoredEvent);
    },
    async query(stmt) {
      return (await client.execute(stmt)).rows;
    },
    async close() {
      client.close();
    },
  };
}

async function appendCommit(client: Client, commit: Commit): Promise<AppendOutcome> {
  const eventStmts = eventInserts(commit.events, commit.recordedAt);
  const stmts = [...(commit.guards ?? []), ...eventStmts, ...commit.projections];
  if (stmts.length === 0) return { ok: true, firstPosition: 0, lastPosition: 0 };
  try {
    const results = await client.batch(stmts, "write");
    if (commit.events.length === 0) return { ok: true, firstPosition: 0, lastPosition: 0 };
    const lastEventResult = results[(commit.guards?.length ?? 0) + eventStmts.length - 1];
    // One writer and no deletes: the commit's positions are the contiguous run ending here.
    const last = Number(lastEventResult?.lastInsertRowid ?? 0n);
    return { ok: true, firstPosition: last - commit.events.length + 1, lastPosition: last };
  } catch (error) {
    return classifyFailure(error);
  }
}

function classifyFailure(error: unknown): AppendOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? "";
  if (!code.startsWith("SQLITE_CONSTRAINT")) throw error;
  if (message.includes("events.event_id")) return { ok: false, reason: "duplicate", detail: message };
  if (message.includes("events.stream_id")) return { ok: false, reason: "stream_conflict", detail: message };
  return { ok: false, reason: "constraint", detail: message };
}

function eventInserts(events: NewEvent[], recordedAt: string): Stmt[] {
  const stmts: Stmt[] = [];
  // Commits usually share one metadata object; serialize it once.
  let lastMeta: EventMetadata | undefined;
  let lastMetaJson = "";
  for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
    const chunk = events.slice(start, start + ROWS_PER_INSERT);
    const args: InValue[] = new Array(chunk.length * EVENT_COLUMNS);
    let i = 0;
    for (const e of chunk) {
      if (e.metadata !== lastMeta) ((lastMeta = e.metadata), (lastMetaJson = JSON.stringify(e.metadata)));
      args[i++] = e.eventId;
      args[i++] = e.streamId;
      args[i++] = e.streamVersion;
      args[i++] = e.type;
      args[i++] = currentSchemaVersion(e.type);
      args[i++] = JSON.stringify(e.data);
      args[i++] = lastMetaJson;
      args[i++] = recordedAt;
    }
    stmts.push({
      sql:
        "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at) VALUES " +
        placeholders(chunk.length, EVENT_COLUMNS),
      args,
    });
  }
  return stmts;
}

const placeholderCache = new Map<string, string>();
export function placeholders(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let text = placeholderCache.get(key);
  if (!text) {
    const row = `(${new Array(columns).fill("?").join(",")})`;
    text = new Array(rows).fill(row).join(",");
    placeholderCache.set(key, text);
  }
  return text;
}

function toStoredEvent(row: Row): StoredEvent {
  return {
    position: Number(row.position),
    eventId: String(row.event_id),
    streamId: String(row.stream_id),
    streamVersion: Number(row.stream_version),
    type: String(row.type),
    schemaVersion: Number(row.schema_version),
    data: JSON.parse(String(row.data)),
    metadata: JSON.parse(String(row.metadata)) as EventMetadata,
    recordedAt: String(row.recorded_at),
  };
}
