import { upcast } from "../../events/upcast.js";
import { projectEvents, type ProjectionTable } from "../projections/project.js";
import type { Stmt } from "../store/event-store.js";
import type { Query } from "./checksum.js";

export const RUN_EVENT_TYPES = ["ImportPlanned", "ImportApplied", "HokifyImportRan"] as const;
export const isRunEventType = (type: string) => (RUN_EVENT_TYPES as readonly string[]).includes(type);

const RESULT = ',"ResultJson":';

/**
 * The import_runs rows of the log, written by projectEvents like every other projection, without
 * reading a plan's or apply's result, which is most of the event (hundreds of MB for big runs).
 *
 * Their rows need only the members before the result (RunId, EntityId, ProfileId, Summary), so
 * their start is handed over (a sixteenth of the event, at least 1 MB, at most 64 MB: the selected
 * rows before the summary grow with the result). `,"` cannot occur inside a JSON string, so the
 * first `,"ResultJson":` is a member name, and if the text before it plus `}` parses, it is the
 * event without its result (a nested occurrence would leave an object open). Otherwise the members
 * are extracted from the whole event. Each read holds one copy of the event in SQLite (octet_length
 * does not read it). Hokify runs store their result, so theirs is read whole. Only events up to
 * position `upTo` count, so the rows are those of one state of the log however it grows meanwhile.
 */
export async function runEventRows(query: Query, table: (name: ProjectionTable) => string, upTo: number): Promise<Stmt[]> {
  const rows = await query({
    sql: `SELECT position, stream_version, type, schema_version, recorded_at, metadata ->> '$.Actor' AS actor,
            CASE WHEN type = 'HokifyImportRan' THEN NULL ELSE substr(data, 1, min(max(octet_length(data) / 16, ${1 << 20}), ${64 << 20})) END AS pre
          FROM events WHERE type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}) AND position <= ? ORDER BY position`,
    args: [upTo],
  });
  const stmts: Stmt[] = [];
  for (const r of rows) {
    const position = Number(r.position);
    let data: unknown;
    if (r.type === "HokifyImportRan") {
      const [full] = await query({ sql: "SELECT data FROM events WHERE position = ?", args: [position] });
      data = JSON.parse(String(full!.data));
    } else {
      data = head(String(r.pre));
      if (data === null) {
        const [members] = await query({ sql: `SELECT json_extract(data, '$.RunId', '$.EntityId', '$.ProfileId', '$.Summary') AS m FROM events WHERE position = ?`, args: [position] });
        const [RunId, EntityId, ProfileId, Summary] = JSON.parse(String(members!.m)) as unknown[];
        data = { RunId, EntityId, ProfileId, Summary };
      }
    }
    const event = upcast(String(r.type), Number(r.schema_version), data);
    stmts.push(...projectEvents([{ event, streamVersion: Number(r.stream_version) }], { recordedAt: String(r.recorded_at), actor: String(r.actor), identityFields: () => [], table }));
  }
  return stmts;
}

/** The members of an event before its result, from the start of its JSON (null: not found there). */
function head(start: string): Record<string, unknown> | null {
  const cut = start.indexOf(RESULT);
  if (cut <= 0) return null;
  try {
    const value: unknown = JSON.parse(`${start.slice(0, cut)}}`);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
