import type { InValue } from "@libsql/client";
import type { DomainEvent } from "../../events/catalog.js";
import { normalizeIdentity } from "../domain/keys.js";
import { streams } from "../store/streams.js";
import type { InstanceEvent } from "../domain/instance.js";
import type { Stmt } from "../store/event-store.js";
import { ROWS_PER_INSERT, placeholders } from "../store/libsql-event-store.js";

export type ProjectedEvent = { event: DomainEvent; streamVersion: number };
export type ProjectionContext = {
  recordedAt: string;
  actor: string;
  /** Field keys that some Field-mode profile of the entity matches on. */
  identityFields: (entityId: string) => readonly string[];
  /** Table name mapping: replay writes the same rows into fresh `replay_*` tables. */
  table?: (name: ProjectionTable) => string;
};

export const PROJECTION_TABLES = ["entity_definitions", "profiles", "instances", "instance_keys", "import_runs"] as const;
export type ProjectionTable = (typeof PROJECTION_TABLES)[number];
const sameName = (name: ProjectionTable) => name;

/**
 * The SQL every projection writes for a run of events: the same function serves live commits
 * and replay. Instance events are folded into multi-row upserts (one statement per 256 rows).
 */
export function projectEvents(events: ProjectedEvent[], ctx: ProjectionContext): Stmt[] {
  const stmts: Stmt[] = [];
  let instanceRun: { event: InstanceEvent; streamVersion: number }[] = [];
  const flush = () => {
    if (instanceRun.length) stmts.push(...instanceStatements(instanceRun, ctx));
    instanceRun = [];
  };
  for (const { event, streamVersion } of events) {
    if (event.type === "InstanceCreated" || event.type === "InstanceUpdated" || event.type === "InstanceDeleted") {
      instanceRun.push({ event, streamVersion });
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

const INSTANCE_COLUMNS = 8;
/** How an instance event changes its row: the replay folds the log in SQL with the same clause. */
export const upsertTail = (table: string) => ` ON CONFLICT(id) DO UPDATE SET fields = json_patch(${table}.fields, excluded.fields), row_version = excluded.row_version,
  version = excluded.version, updated_at = excluded.updated_at, deleted = excluded.deleted`;

function instanceStatements(run: { event: InstanceEvent; streamVersion: number }[], ctx: ProjectionContext): Stmt[] {
  const stmts: Stmt[] = [];
  const claims: InValue[] = [];
  const at = ctx.recordedAt;
  const t = ctx.table ?? sameName;
  const instances = t("instances");
  const keys = t("instance_keys");
  for (let start = 0; start < run.length; start += ROWS_PER_INSERT) {
    const chunk = run.slice(start, start + ROWS_PER_INSERT);
    const args: InValue[] = [];
    for (const { event, streamVersion } of chunk) {
      const d = event.data;
      const patch = event.type === "InstanceCreated" ? event.data.Fields : event.type === "InstanceUpdated" ? event.data.Changes : {};
      args.push(d.InstanceId, d.EntityId, JSON.stringify(patch), d.RowVersion, streamVersion, at, at, event.type === "InstanceDeleted" ? 1 : 0);

      const identityFields = ctx.identityFields(d.EntityId);
      if (event.type === "InstanceDeleted") {
        stmts.push({ sql: `DELETE FROM ${keys} WHERE instance_id = ?`, args: [d.InstanceId] });
        continue;
      }
      for (const key of identityFields) {
        if (!(key in patch)) continue;
        if (event.type === "InstanceUpdated")
          stmts.push({ sql: `DELETE FROM ${keys} WHERE entity_id = ? AND field_key = ? AND instance_id = ?`, args: [d.EntityId, key, d.InstanceId] });
        const value = normalizeIdentity(patch[key]);
        if (value !== null) claims.push(d.EntityId, key, value, d.InstanceId);
      }
    }
    stmts.push({
      sql: `INSERT INTO ${instances} (id, entity_id, fields, row_version, version, created_at, updated_at, deleted) VALUES ${placeholders(chunk.length, INSTANCE_COLUMNS)}${upsertTail(instances)}`,
      args,
    });
  }
  stmts.push(...claimInserts(claims, "INSERT OR IGNORE", keys));
  return stmts;
}

/** Multi-row inserts into the identity index; `verb` INSERT makes a taken identity abort the commit. */
export function claimInserts(flatArgs: InValue[], verb: "INSERT" | "INSERT OR IGNORE", table = "instance_keys"): Stmt[] {
  const stmts: Stmt[] = [];
  const perRow = 4;
  for (let i = 0; i < flatArgs.length; i += ROWS_PER_INSERT * perRow) {
    const args = flatArgs.slice(i, i + ROWS_PER_INSERT * perRow);
    stmts.push({ sql: `${verb} INTO ${table} (entity_id, field_key, value, instance_id) VALUES ${placeholders(args.length / perRow, perRow)}`, args });
  }
  return stmts;
}
