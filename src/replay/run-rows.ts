import type { Stmt } from "../store/event-store.js";

export const RUN_EVENT_TYPES = ["ImportPlanned", "ImportApplied", "HokifyImportRan"] as const;
export const isRunEventType = (type: string) => (RUN_EVENT_TYPES as readonly string[]).includes(type);

/**
 * The members before `ResultJson` (RunId, EntityId, ProfileId, ScopeId, Summary), parsed without
 * the result, which is most of the event (often megabytes). `,"` cannot occur inside a JSON string,
 * so the first `,"ResultJson":` is a member name; if it is a top-level member the text before it
 * plus `}` is a valid object holding every member before it. Otherwise (not found, nested, or the
 * head is not valid JSON) the whole document is used.
 */
const HEAD = `CASE WHEN instr(e.data, ',"ResultJson":') > 1 AND json_valid(substr(e.data, 1, instr(e.data, ',"ResultJson":') - 1) || '}')
  THEN substr(e.data, 1, instr(e.data, ',"ResultJson":') - 1) || '}' ELSE e.data END`;

/**
 * The import_runs rows of the log, computed by SQL so a run's result never crosses into JS:
 * the same row projectEvents writes for ImportPlanned, ImportApplied and HokifyImportRan
 * (kind, actor and time of the commit, the summary as JSON, the result only for Hokify runs,
 * the plan/apply run's own log position).
 */
export function importRunRows(table: string): Stmt {
  return {
    // MATERIALIZED: the head is cut from each (large) event once, not once per column read from it.
    sql: `WITH h AS MATERIALIZED (
        SELECT e.position, e.type, e.stream_version, e.recorded_at, e.metadata ->> '$.Actor' AS actor, ${HEAD} AS head,
          CASE WHEN e.type = 'HokifyImportRan' THEN e.data ->> '$.ResultJson' ELSE '' END AS result
        FROM events e WHERE e.type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}))
      INSERT INTO ${table} (id, kind, entity_id, profile_id, scope_id, actor, created_at, summary, result, position)
      SELECT h.head ->> '$.RunId',
        CASE h.type WHEN 'ImportPlanned' THEN 'plan' WHEN 'ImportApplied' THEN 'apply' ELSE 'hokify' END,
        CASE WHEN h.type = 'HokifyImportRan' THEN NULL ELSE h.head ->> '$.EntityId' END,
        CASE WHEN h.type = 'HokifyImportRan' THEN NULL ELSE h.head ->> '$.ProfileId' END,
        CASE WHEN h.type = 'HokifyImportRan' THEN h.head ->> '$.ScopeId' END,
        h.actor, h.recorded_at, h.head -> '$.Summary', h.result,
        CASE WHEN h.type = 'HokifyImportRan' THEN 0
          ELSE (SELECT x.position FROM events x WHERE x.stream_id = 'import-' || (h.head ->> '$.RunId') AND x.stream_version = h.stream_version) END
      FROM h ORDER BY h.position`,
    args: [],
  };
}
