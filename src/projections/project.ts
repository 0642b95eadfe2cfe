import type { DomainEvent } from "../../events/catalog.js";
import { normalizeIdentity } from "../domain/keys.js";
import { streams } from "../store/streams.js";
import type { InstanceEvent } from "../domain/instance.js";
import type { Stmt } from "../store/event-store.js";
import { ROWS_PER_STATEMENT } from "../store/libsql-event-store.js";

/** `streamId` is needed when the instance rows are read back from the log (`fromLog`). */
export type ProjectedEvent = { event: DomainEvent; streamVersion: number; streamId?: string };
export type ProjectionContext = {
  recordedAt: string;
  actor: string;
  /** Field keys that some Field-mode profile of the entity matches on. */
  identityFields: (entityId: string) => readonly string[];
  /** Table name mapping: replay writes the same rows into fresh `replay_*` tables. */
  table?: (name: ProjectionTable) => string;
  /**
   * Identities that new instances claim with a plain INSERT: a value another instance holds
   * aborts the whole commit, so two concurrent creates of one identity collide in the database.
   * Every other claim is INSERT OR IGNORE.
   */
  exclusiveClaims?: { entityId: string; fieldKey: string };
  /**
   * The events are in the log when these statements run (a live commit inserts them first in the
   * same batch), so instance rows are read from there by (stream_id, stream_version) instead of
   * sending every field value a second time. Replay sends the rows it folds.
   */
  fromLog?: boolean;
  /**
   * False: no instance rows at all, only the identity index statements of instance events. The
   * rebuild folds the rows in SQL from the full events and passes events reduced to their identity
   * values here, so their rows must not be written (a filter on the statement's text broke when
   * the upsert's text changed).
   */
  instanceRows?: boolean;
};

export const PROJECTION_TABLES = ["entity_definitions", "profiles", "instances", "instance_keys", "import_runs"] as const;
export type ProjectionTable = (typeof PROJECTION_TABLES)[number];
const sameName = (name: ProjectionTable) => name;

/**
 * The SQL every projection writes for a run of events: the same function serves live commits
 * and replay. Instance events are folded into multi-row statements (rows as one JSON array each).
 */
export function projectEvents(events: ProjectedEvent[], ctx: ProjectionContext): Stmt[] {
  const stmts: Stmt[] = [];
  let instanceRun: InstanceRun = [];
  const flush = () => {
    if (instanceRun.length) stmts.push(...instanceStatements(instanceRun, ctx));
    instanceRun = [];
  };
  for (const { event, streamVersion, streamId } of events) {
    if (event.type === "InstanceCreated" || event.type === "InstanceUpdated" || event.type === "InstanceDeleted") {
      instanceRun.push({ event, streamVersion, streamId });
      continue;
    }
    flush();
    stmts.push(...otherStatements(event, streamVersion, ctx));
  }
  flush();
  return stmts;
}

function otherStatements(event: Exclude<DomainEvent, InstanceEvent>, version: number, ctx: ProjectionContext): Stmt[] {
  const at = ctx.recordedAt;
  const t = ctx.table ?? sameName;
  switch (event.type) {
    case "EntityDefinitionCreated": {
      const d = event.data;
      return [
        {
          sql: `INSERT INTO ${t("entity_definitions")} (id, key, display_name_singular, display_name_plural, fields, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)`,
          args: [d.DefinitionId, d.Key, d.DisplayNameSingular, d.DisplayNamePlural, JSON.stringify(d.Fields), version, at, at],
        },
      ];
    }
    case "EntityDefinitionChanged": {
      const d = event.data;
      return [
        {
          sql: `UPDATE ${t("entity_definitions")} SET display_name_singular = ?, display_name_plural = ?, fields = ?, version = ?, updated_at = ? WHERE id = ?`,
          args: [d.DisplayNameSingular, d.DisplayNamePlural, JSON.stringify(d.Fields), version, at, d.DefinitionId],
        },
      ];
    }
    case "ImportProfileCreated":
    case "ImportProfileChanged": {
      const d = event.data;
      return [
        {
          sql: `INSERT INTO ${t("profiles")} (id, entity_id, key, name, import_mode, identity_mode, identity_field_key, field_map, skip_unchanged, version, created_at, updated_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, import_mode = excluded.import_mode, identity_mode = excluded.identity_mode,
                  identity_field_key = excluded.identity_field_key, field_map = excluded.field_map, skip_unchanged = excluded.skip_unchanged,
                  version = excluded.version, updated_at = excluded.updated_at`,
          args: [d.ProfileId, d.EntityId, d.Key, d.Name, d.ImportMode, d.IdentityMode, d.IdentityFieldKey, JSON.stringify(d.FieldMap), d.SkipUnchanged ? 1 : 0, version, at, at],
        },
      ];
    }
    case "ImportPlanned":
    case "ImportApplied": {
      const d = event.data;
      return [
        {
          // The full result (often megabytes) is stored once, in the event; the run row points at it.
          sql: `INSERT INTO ${t("import_runs")} (id, kind, entity_id, profile_id, scope_id, actor, created_at, summary, result, position)
                VALUES (?,?,?,?,?,?,?,?,'',(SELECT position FROM events WHERE stream_id = ? AND stream_version = ?))`,
          args: [d.RunId, event.type === "ImportPlanned" ? "plan" : "apply", d.EntityId, d.ProfileId, null, ctx.actor, at, JSON.stringify(d.Summary), streams.run(d.RunId), version],
        },
      ];
    }
    case "ImportRowsRecorded":
      // Result rows stay in the log; the run row points at the run's final event.
      return [];
    case "HokifyImportRan": {
      // Hokify runs span three entities, so the run row names none; scope_id says which import scope ran.
      const d = event.data;
      return [
        {
          sql: `INSERT INTO ${t("import_runs")} (id, kind, entity_id, profile_id, scope_id, actor, created_at, summary, result) VALUES (?,?,?,?,?,?,?,?,?)`,
          args: [d.RunId, "hokify", null, null, d.ScopeId, ctx.actor, at, JSON.stringify(d.Summary), d.ResultJson],
        },
      ];
    }
  }
}

/** How an instance event changes its row: the replay folds the log in SQL with the same clause. */
export const upsertTail = (table: string) => ` ON CONFLICT(id) DO UPDATE SET fields = json_patch(${table}.fields, excluded.fields), row_version = excluded.row_version,
  version = excluded.version, updated_at = excluded.updated_at, deleted = excluded.deleted`;

/** JSON array texts of rows for json_each(), no statement carrying more than ROWS_PER_STATEMENT rows. */
function jsonChunks(rows: unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(JSON.stringify(rows.length <= ROWS_PER_STATEMENT ? rows : rows.slice(i, i + ROWS_PER_STATEMENT)));
  return out;
}

type InstanceRun = { event: InstanceEvent; streamVersion: number; streamId?: string }[];

/** Instance rows `[id, entity_id, fields, row_version, version, deleted]` as JSON, materialized once per statement. */
const upsertRows = (instances: string) => `WITH j(k, v) AS MATERIALIZED (SELECT key, value FROM json_each(?1))
  INSERT INTO ${instances} (id, entity_id, fields, row_version, version, created_at, updated_at, deleted)
  SELECT v ->> 0, v ->> 1, v -> 2, v ->> 3, v ->> 4, ?2, ?2, v ->> 5 FROM j WHERE true ORDER BY k${upsertTail(instances)}`;

/** The same rows read from the events just inserted, named by `[stream_id, stream_version]`. */
const upsertFromLog = (instances: string) => `INSERT INTO ${instances} (id, entity_id, fields, row_version, version, created_at, updated_at, deleted)
  SELECT e.data ->> '$.InstanceId', e.data ->> '$.EntityId',
    CASE e.type WHEN 'InstanceCreated' THEN e.data -> '$.Fields' WHEN 'InstanceUpdated' THEN e.data -> '$.Changes' ELSE '{}' END,
    e.data ->> '$.RowVersion', e.stream_version, ?2, ?2, e.type = 'InstanceDeleted'
  FROM json_each(?1) AS j JOIN events AS e ON e.stream_id = j.value ->> 0 AND e.stream_version = j.value ->> 1
  WHERE true ORDER BY j.key${upsertTail(instances)}`;

/**
 * A run of instance events in four set-based steps, each one statement whatever the run's length:
 * release the identities of deleted instances and the changed identity fields of updated ones,
 * upsert the instance rows in event order, then claim the identities the events hold. Releases
 * come before claims, so an update that keeps a value (or moves it within the run) holds it after.
 */
function instanceStatements(run: InstanceRun, ctx: ProjectionContext): Stmt[] {
  const at = ctx.recordedAt;
  const t = ctx.table ?? sameName;
  const instances = t("instances");
  const keys = t("instance_keys");
  const exclusive = ctx.exclusiveClaims;
  const upserts: unknown[] = [];
  const deleted: string[] = [];
  const released: string[][] = [];
  const claims: string[][] = [];
  const strictClaims: string[][] = [];
  for (const { event, streamVersion, streamId } of run) {
    const d = event.data;
    const patch = event.type === "InstanceCreated" ? event.data.Fields : event.type === "InstanceUpdated" ? event.data.Changes : {};
    if (!ctx.fromLog) upserts.push([d.InstanceId, d.EntityId, patch, d.RowVersion, streamVersion, event.type === "InstanceDeleted" ? 1 : 0]);
    else if (streamId === undefined) throw new Error("projecting from the log needs each event's stream id");
    else upserts.push([streamId, streamVersion]);
    if (event.type === "InstanceDeleted") {
      deleted.push(d.InstanceId);
      continue;
    }
    const identityFields = ctx.identityFields(d.EntityId);
    const strictKey = event.type === "InstanceCreated" && exclusive && exclusive.entityId === d.EntityId ? exclusive.fieldKey : null;
    for (const key of strictKey && !identityFields.includes(strictKey) ? [...identityFields, strictKey] : identityFields) {
      if (!(key in patch)) continue;
      if (event.type === "InstanceUpdated") released.push([d.EntityId, key, d.InstanceId]);
      const value = normalizeIdentity(patch[key]);
      if (value !== null) (key === strictKey ? strictClaims : claims).push([d.EntityId, key, value, d.InstanceId]);
    }
  }
  const stmts: Stmt[] = [];
  for (const list of jsonChunks(deleted)) stmts.push({ sql: `DELETE FROM ${keys} WHERE instance_id IN (SELECT j.value FROM json_each(?) AS j)`, args: [list] });
  for (const list of jsonChunks(released))
    stmts.push({ sql: `DELETE FROM ${keys} WHERE (entity_id, field_key, instance_id) IN (SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) AS j)`, args: [list] });
  const upsert = ctx.fromLog ? upsertFromLog(instances) : upsertRows(instances);
  if (ctx.instanceRows !== false) for (const list of jsonChunks(upserts)) stmts.push({ sql: upsert, args: [list, at] });
  stmts.push(...claimRows(strictClaims, "INSERT", keys), ...claimRows(claims, "INSERT OR IGNORE", keys));
  return stmts;
}

/** Claims in the identity index, rows `[entity_id, field_key, value, instance_id]`; `verb` INSERT makes a taken identity abort the commit. */
function claimRows(rows: string[][], verb: "INSERT" | "INSERT OR IGNORE", table: string): Stmt[] {
  return jsonChunks(rows).map((list) => ({
    sql: `${verb} INTO ${table} (entity_id, field_key, value, instance_id) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(?) AS j`,
    args: [list],
  }));
}

/** Claims in the identity index from flat (entity_id, field_key, value, instance_id) quadruples. */
export function claimInserts(flat: string[], verb: "INSERT" | "INSERT OR IGNORE", table = "instance_keys"): Stmt[] {
  const rows: string[][] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) rows.push([flat[i]!, flat[i + 1]!, flat[i + 2]!, flat[i + 3]!]);
  return claimRows(rows, verb, table);
}
