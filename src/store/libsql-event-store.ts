import type { Client, InValue, Row } from "@libsql/client";
import { currentSchemaVersion } from "../../events/catalog.js";
import type { EventMetadata } from "../../events/metadata.js";
import type { AppendOutcome, Commit, EventStore, NewEvent, ReadQuery, Stmt, StoredEvent } from "./event-store.js";
import { createMutex } from "./mutex.js";

/**
 * Rows per multi-row statement. Rows travel as one JSON array text bound to json_each(), so the
 * statement text is the same for any row count: SQLite compiles a small program once per
 * statement instead of one with 8 parameters per row (a 256-row VALUES list compiled to ≈ 230 KB
 * of native memory per execution), and the binding converts one string instead of 8 values per row.
 */
export const ROWS_PER_STATEMENT = 5000;

/**
 * Event rows: [event_id, stream_id, stream_version, type, schema_version, data_start, data_bytes
 * (, metadata)]. The `data` texts travel apart from the rows, one after the other as the UTF-8
 * bytes of one BLOB (?3), each cut out by its 1-based byte offset and length: SQLite then never
 * parses an event's data as JSON only to render the same text again (the events INSERT of 60k
 * creates: 655-720 -> 420-530 ms on the database thread; bench/notes-writepath.md). The stored
 * text is byte for byte JSON.stringify(e.data). `->` keeps a non-shared metadata value's text as
 * written. The rows are materialized once; ORDER BY k keeps positions in commit order.
 */
const insertEvents = (metadata: string) => `WITH r(k, v) AS MATERIALIZED (SELECT key, value FROM json_each(?1))
  INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
  SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, v ->> 4, CAST(substr(?3, v ->> 5, v ->> 6) AS TEXT), ${metadata}, ?2 FROM r ORDER BY k`;
const INSERT_EVENTS = insertEvents("v -> 7");
/**
 * The same rows without their metadata, when every event of the run carries the same metadata
 * (all of a commit's events usually do): it is serialized once and bound as ?4, instead of being
 * written, copied to the database thread and parsed again once per event (≈ a quarter of an
 * apply's event text).
 */
const INSERT_EVENTS_SHARED_METADATA = insertEvents("?4");
/**
 * A commit of one event (a definition, a profile, a plan or apply with its whole result) inserts
 * it with plain parameters: a result of many megabytes is not worth parsing as JSON again.
 */
const INSERT_EVENT = "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at) VALUES (?,?,?,?,?,?,?,?)";

/**
 * The embedded client's statements hold native memory that a napi finalizer frees, and Node runs
 * those finalizers from the event loop (setImmediate), never between two promise continuations.
 * A long import awaits commit after commit without ever giving the loop a turn, so every
 * statement it ran stayed allocated until the import ended (bench/soak.ts). One turn after each
 * write lets them go; over HTTP (a remote client) the network gives those turns anyway.
 */
const turn: () => Promise<void> =
  typeof setImmediate === "function" ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * `beside`: a second connection to the same database for `queryBeside`; `readProcess`: what
 * `readProcess` returns (see EventStore).
 */
export function createLibsqlEventStore(
  client: Client,
  { beside, readProcess }: { beside?: Client; readProcess?: () => ((stmt: Stmt) => Promise<Row[]>) | null } = {},
): EventStore {
  const exclusive = createMutex();
  const embedded = client.protocol === "file";
  const settle = async <T>(result: T): Promise<T> => (embedded && (await turn()), result);

  // Statements built by `prepare`, used (once) by the append of the same commit object.
  const prepared = new WeakMap<Commit, Stmt[]>();
  return {
    append: async (commit) => {
      const eventStmts = prepared.get(commit);
      prepared.delete(commit);
      return settle(await exclusive(() => appendCommit(client, commit, eventStmts)));
    },
    prepare: (commit) => void prepared.set(commit, eventInserts(commit.events, commit.recordedAt)),
    write: async (stmts) => settle(await exclusive(async () => void (await client.batch(stmts, "write")))),
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
    ...(beside && { queryBeside: async (stmt: Stmt) => (await beside.execute(stmt)).rows }),
    ...(readProcess && { readProcess }),
    async close() {
      client.close();
    },
  };
}

async function appendCommit(client: Client, commit: Commit, prepared: Stmt[] | undefined): Promise<AppendOutcome> {
  const eventStmts = prepared ?? eventInserts(commit.events, commit.recordedAt);
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

/**
 * Events that carry a big payload (a slice of a run's result rows, ≈ 700 KB per 2000 rows) go
 * with plain parameters even inside a multi-event commit: through json_each SQLite would parse
 * the payload as JSON and render it again only to store the same text.
 */
const BULKY: ReadonlySet<string> = new Set(["ImportRowsRecorded"]);

const insertOne = (e: NewEvent, recordedAt: string): Stmt => ({
  sql: INSERT_EVENT,
  args: [e.eventId, e.streamId, e.streamVersion, e.type, currentSchemaVersion(e.type), JSON.stringify(e.data), JSON.stringify(e.metadata), recordedAt],
});

/** The events' INSERTs, in commit order (positions follow it); the raw bench reference writes with them too. */
export function eventInserts(events: NewEvent[], recordedAt: string): Stmt[] {
  if (events.length === 1) return [insertOne(events[0]!, recordedAt)];
  const stmts: Stmt[] = [];
  let run: NewEvent[] = [];
  const flush = () => {
    for (let start = 0; start < run.length; start += ROWS_PER_STATEMENT) {
      const slice = run.slice(start, start + ROWS_PER_STATEMENT);
      const metadata = slice[0]!.metadata;
      const shared = slice.every((e) => e.metadata === metadata);
      const data = dataBytes(slice);
      const rows = slice.map((e, i) => {
        const row: unknown[] = [e.eventId, e.streamId, e.streamVersion, e.type, currentSchemaVersion(e.type), data.starts[i], data.lengths[i]];
        if (!shared) row.push(e.metadata);
        return row;
      });
      // One JSON.stringify for the rows of the statement: faster than a string per row, and the
      // metadata comes out exactly as JSON.stringify(e.metadata) would.
      const json = JSON.stringify(rows);
      stmts.push(
        shared
          ? { sql: INSERT_EVENTS_SHARED_METADATA, args: [json, recordedAt, data.bytes, JSON.stringify(metadata)] }
          : { sql: INSERT_EVENTS, args: [json, recordedAt, data.bytes] },
      );
    }
    run = [];
  };
  for (const e of events) {
    if (BULKY.has(e.type)) (flush(), stmts.push(insertOne(e, recordedAt)));
    else run.push(e);
  }
  flush();
  return stmts;
}

const encoder = new TextEncoder();

/** Each event's JSON.stringify(data) as UTF-8, one after the other: 1-based start and byte length of each. */
function dataBytes(events: NewEvent[]): { bytes: Uint8Array; starts: number[]; lengths: number[] } {
  const texts = events.map((e) => JSON.stringify(e.data));
  let chars = 0;
  for (const t of texts) chars += t.length;
  // Room for ASCII text and some more; grown when a text did not fit (encodeInto stops short).
  let bytes = new Uint8Array(chars + (chars >> 3) + 64);
  const starts = new Array<number>(texts.length);
  const lengths = new Array<number>(texts.length);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    let done = encoder.encodeInto(text, bytes.subarray(at));
    if (done.read < text.length) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + text.length * 3));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
      done = encoder.encodeInto(text, bytes.subarray(at));
    }
    starts[i] = at + 1;
    lengths[i] = done.written;
    at += done.written;
  }
  return { bytes: bytes.subarray(0, at), starts, lengths };
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
