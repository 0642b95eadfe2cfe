import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The event log. `position` is the rowid: SQLite hands out max+1 inside the writing transaction,
 * and nothing is ever deleted (triggers refuse it), so positions are gap-free in commit order.
 */
export const events = sqliteTable(
  "events",
  {
    position: integer("position").primaryKey(),
    eventId: text("event_id").notNull(),
    streamId: text("stream_id").notNull(),
    streamVersion: integer("stream_version").notNull(),
    type: text("type").notNull(),
    schemaVersion: integer("schema_version").notNull(),
    data: text("data").notNull(),
    metadata: text("metadata").notNull(),
    recordedAt: text("recorded_at").notNull(),
  },
  (t) => [
    uniqueIndex("events_event_id").on(t.eventId),
    uniqueIndex("events_stream").on(t.streamId, t.streamVersion),
    index("events_type").on(t.type, t.position),
  ],
);

export const entityDefinitions = sqliteTable("entity_definitions", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  displayNameSingular: text("display_name_singular").notNull(),
  displayNamePlural: text("display_name_plural").notNull(),
  fields: text("fields").notNull(),
  version: integer("version").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const profiles = sqliteTable(
  "profiles",
  {
    id: text("id").primaryKey(),
    entityId: text("entity_id").notNull(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    importMode: integer("import_mode").notNull(),
    identityMode: integer("identity_mode").notNull(),
    identityFieldKey: text("identity_field_key"),
    fieldMap: text("field_map").notNull(),
    skipUnchanged: integer("skip_unchanged").notNull(),
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("profiles_entity_key").on(t.entityId, t.key)],
);

export const instances = sqliteTable(
  "instances",
  {
    id: text("id").primaryKey(),
    entityId: text("entity_id").notNull(),
    fields: text("fields").notNull(),
    rowVersion: text("row_version").notNull(),
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deleted: integer("deleted").notNull().default(0),
  },
  (t) => [index("instances_entity").on(t.entityId, t.id)],
);

/**
 * Identity index: normalized values of the fields that some profile matches on. Its primary key
 * makes two concurrent creates of the same identity collide inside the database.
 */
export const instanceKeys = sqliteTable(
  "instance_keys",
  {
    entityId: text("entity_id").notNull(),
    fieldKey: text("field_key").notNull(),
    value: text("value").notNull(),
    instanceId: text("instance_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.entityId, t.fieldKey, t.value] }), index("instance_keys_instance").on(t.instanceId)],
);

export const importRuns = sqliteTable(
  "import_runs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    entityId: text("entity_id"),
    profileId: text("profile_id"),
    scopeId: integer("scope_id"),
    actor: text("actor").notNull(),
    createdAt: text("created_at").notNull(),
    summary: text("summary").notNull(),
    result: text("result").notNull(),
    position: integer("position").notNull().default(sql`0`),
  },
  (t) => [index("import_runs_kind_time").on(t.kind, t.createdAt)],
);

/** Stored responses of requests that carried an Idempotency-Key (not part of the log). */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    principal: text("principal").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    contentType: text("content_type").notNull(),
    body: text("body").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);

/**
 * Hokify webhook deliveries already accepted (not part of the log): a repeated deliveryId is
 * answered with the first delivery's run id, also after a restart.
 */
export const hokifyWebhookDeliveries = sqliteTable("hokify_webhook_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  runId: text("run_id").notNull(),
  scopeId: integer("scope_id").notNull(),
  event: text("event").notNull(),
  receivedAt: text("received_at").notNull(),
});

/**
 * One running Hokify import per scope, across processes and Worker isolates. A lease expires
 * (and is renewed while the run reads pages) so a crashed run cannot block its scope for good.
 */
export const hokifyRunLeases = sqliteTable("hokify_run_leases", {
  scopeId: integer("scope_id").primaryKey(),
  runId: text("run_id").notNull(),
  expiresAt: text("expires_at").notNull(),
});

/**
 * One running admin job of each kind (`name`, e.g. the replay), across processes and Worker
 * isolates. Like the Hokify leases, it expires unless renewed, so a crashed job cannot block
 * the next one for good.
 */
export const adminLeases = sqliteTable("admin_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: text("expires_at").notNull(),
});
