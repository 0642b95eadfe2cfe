import type { InValue, Row } from "@libsql/client";
import type { InstanceState, PlanMatch } from "../domain/instance.js";
import { normalizeKey } from "../domain/keys.js";
import type { EntityDefinition, Profile } from "../schemas/definitions.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { abortBatchIf } from "../store/batch-guard.js";
import { IdentityMode } from "../schemas/enums.js";

/**
 * Lookups of ids and identity values go in chunks: one round trip per chunk, never one per row.
 * The chunk travels as one JSON array parameter (json_each), so every chunk runs the same
 * prepared statement text whatever its length.
 */
const IN_CHUNK = 2000;

export function toDefinition(row: Row): EntityDefinition {
  return {
    Id: String(row.id),
    Key: String(row.key),
    DisplayNameSingular: String(row.display_name_singular),
    DisplayNamePlural: String(row.display_name_plural),
    Fields: JSON.parse(String(row.fields)),
    Version: Number(row.version),
  };
}

export function toProfile(row: Row): Profile {
  return {
    Id: String(row.id),
    EntityId: String(row.entity_id),
    Key: String(row.key),
    Name: String(row.name),
    ImportMode: Number(row.import_mode) as Profile["ImportMode"],
    IdentityMode: Number(row.identity_mode) as Profile["IdentityMode"],
    IdentityFieldKey: row.identity_field_key === null ? null : String(row.identity_field_key),
    FieldMap: JSON.parse(String(row.field_map)),
    SkipUnchanged: Number(row.skip_unchanged) === 1,
    Version: Number(row.version),
  };
}

/**
 * A chunk of matches comes back as one JSON text built by SQLite (one row, one JSON.parse)
 * instead of thousands of driver rows, each an object with a property per column.
 */
const MATCHES_JSON = (matchKey: string) =>
  // Concatenated, not json_array(…, json(fields)): stored fields are JSON text already, and
  // re-rendering every match through SQLite's JSON parser costs more than the lookups. One
  // concat() per match, not a chain of ||, which copies the growing text once per operand.
  `'[' || group_concat(concat('[', json_quote(${matchKey}), ',', json_quote(i.id), ',', json_quote(i.entity_id), ',', i.fields, ',',
     json_quote(i.row_version), ',', i.version, ',', json_quote(i.created_at), ',', json_quote(i.updated_at), ',', i.deleted, ']'), ',') || ']' AS matches`;

/** The same for a plan, which reads only these members of a match: a fifth less text to build and parse. */
const PLAN_MATCHES_JSON = (matchKey: string) =>
  `'[' || group_concat(concat('[', json_quote(${matchKey}), ',', json_quote(i.id), ',', i.fields, ',', json_quote(i.row_version), ',', i.deleted, ']'), ',') || ']' AS matches`;

type MatchTuple = [string, string, string, Record<string, unknown>, string, number, string, string, number];
type PlanMatchTuple = [string, string, Record<string, unknown>, string, number];

function matchesOf(rows: Row[]): Map<string, InstanceState> {
  const out = new Map<string, InstanceState>();
  for (const row of rows) {
    if (row.matches === null) continue; // no match in this chunk
    for (const [key, Id, EntityId, Fields, RowVersion, Version, CreatedAtUtc, UpdatedAtUtc, deleted] of JSON.parse(String(row.matches)) as MatchTuple[])
      out.set(key, { Id, EntityId, Fields, RowVersion, Version, CreatedAtUtc, UpdatedAtUtc, Deleted: deleted === 1 });
  }
  return out;
}

function planMatchesOf(rows: Row[]): Map<string, PlanMatch> {
  const out = new Map<string, PlanMatch>();
  for (const row of rows) {
    if (row.matches === null) continue;
    for (const [key, Id, Fields, RowVersion, deleted] of JSON.parse(String(row.matches)) as PlanMatchTuple[]) out.set(key, { Id, Fields, RowVersion, Deleted: deleted === 1 });
  }
  return out;
}

export function toInstance(row: Row): InstanceState {
  return {
    Id: String(row.id),
    EntityId: String(row.entity_id),
    Fields: JSON.parse(String(row.fields)),
    RowVersion: String(row.row_version),
    Version: Number(row.version),
    CreatedAtUtc: String(row.created_at),
    UpdatedAtUtc: String(row.updated_at),
    Deleted: Number(row.deleted) === 1,
  };
}

/** `{entity}` is an Id or a Key in any case and spacing. */
export async function findDefinition(store: EventStore, ref: string): Promise<EntityDefinition | null> {
  const rows = await store.query({ sql: "SELECT * FROM entity_definitions WHERE id = ? OR key = ? LIMIT 1", args: [ref.trim(), normalizeKey(ref)] });
  return rows[0] ? toDefinition(rows[0]) : null;
}

export async function listDefinitions(store: EventStore): Promise<EntityDefinition[]> {
  return (await store.query("SELECT * FROM entity_definitions ORDER BY key")).map(toDefinition);
}

export async function findProfile(store: EventStore, entityId: string, ref: string): Promise<Profile | null> {
  const rows = await store.query({
    sql: "SELECT * FROM profiles WHERE entity_id = ? AND (id = ? OR key = ?) LIMIT 1",
    args: [entityId, ref.trim(), normalizeKey(ref)],
  });
  return rows[0] ? toProfile(rows[0]) : null;
}

export async function listProfiles(store: EventStore, entityId: string): Promise<Profile[]> {
  return (await store.query({ sql: "SELECT * FROM profiles WHERE entity_id = ? ORDER BY key", args: [entityId] })).map(toProfile);
}

/** The position of the last event in the log (0 when it is empty). */
export async function lastPosition(query: (stmt: Stmt) => Promise<Row[]>): Promise<number> {
  const [log] = await query({ sql: "SELECT coalesce(max(position), 0) AS last FROM events", args: [] });
  return Number(log?.last ?? 0);
}

/** The entity's identity fields (each field some profile matches on), sorted. Arguments: entity id, IdentityMode.Field. */
const IDENTITY_FIELDS = "SELECT DISTINCT identity_field_key AS k FROM profiles WHERE entity_id = ? AND identity_mode = ? AND identity_field_key IS NOT NULL ORDER BY k";

export async function identityFieldsOf(store: EventStore, entityId: string): Promise<string[]> {
  const rows = await store.query({ sql: IDENTITY_FIELDS, args: [entityId, IdentityMode.Field] });
  return rows.map((r) => String(r.k));
}

/**
 * Aborts a commit whose identity claims were built for `fields` when the entity's identity fields
 * are no longer those (a profile with a new identity field committed meanwhile: its backfill did
 * not see this commit's instances, so they would lack that field's claims).
 */
export const identityFieldsGuard = (entityId: string, fields: readonly string[]): Stmt =>
  abortBatchIf(`coalesce((SELECT group_concat(k, char(31) ORDER BY k) FROM (${IDENTITY_FIELDS})), '') IS NOT ?`, [entityId, IdentityMode.Field, fields.join("\x1f")]);

async function inChunks(values: string[], run: (json: string) => Promise<Row[]>): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) out.push(...(await run(JSON.stringify(values.slice(i, i + IN_CHUNK)))));
  return out;
}

const BY_IDS = (select: string) => `SELECT ${select} FROM instances i WHERE i.entity_id = ? AND i.id IN (SELECT value FROM json_each(?))`;
// CROSS JOIN keeps json_each outside: one primary-key probe per value, without first building
// the ephemeral index an IN (subquery) gets (≈ 10 % of the query). Values are not deduplicated
// first (a Set per chunk of every identity costs more than the rare repeat): a repeated one, which
// only a file's duplicate identities give, finds its match again and the map keeps one.
const BY_IDENTITY = (select: string) => `SELECT ${select} FROM json_each(?3) j CROSS JOIN instance_keys k ON k.entity_id = ?1 AND k.field_key = ?2 AND k.value = j.value
              JOIN instances i ON i.id = k.instance_id`;

export async function instancesByIds(store: EventStore, entityId: string, ids: string[]): Promise<Map<string, InstanceState>> {
  return matchesOf(await instanceTextsByIds(store, entityId, ids));
}

/** Identity value → instance, through the identity index, in one join per chunk. */
export async function instancesByIdentity(store: EventStore, entityId: string, fieldKey: string, values: string[]): Promise<Map<string, InstanceState>> {
  return matchesOf(await instanceTextsByIdentity(store, entityId, fieldKey, values));
}

/**
 * The answers of instancesByIds / instancesByIdentity before they are parsed (one JSON text per
 * chunk of values, for matchesOf): an apply asks for them early, on the database thread when
 * there is one, and parses each only when it decides those rows.
 */
export type InstanceTexts = Row[];
export { matchesOf };

export function instanceTextsByIds(store: EventStore, entityId: string, ids: string[], query = (s: Stmt) => store.query(s)): Promise<InstanceTexts> {
  return inChunks(ids, (list) => query({ sql: BY_IDS(MATCHES_JSON("i.id")), args: [entityId, list] }));
}

export function instanceTextsByIdentity(store: EventStore, entityId: string, fieldKey: string, values: string[], query = (s: Stmt) => store.query(s)): Promise<InstanceTexts> {
  return inChunks(values, (list) => query({ sql: BY_IDENTITY(MATCHES_JSON("k.value")), args: [entityId, fieldKey, list] }));
}

/**
 * A plan writes nothing while it decides, so its lookups run beside this thread where they can
 * (queryBeside): the plan prepares the next chunk meanwhile. Each answer is one JSON text.
 */
const planQuery = (store: EventStore) => store.queryBeside ?? store.query;

/** instancesByIds with only what a plan reads. */
export async function planMatchesByIds(store: EventStore, entityId: string, ids: string[]): Promise<Map<string, PlanMatch>> {
  const query = planQuery(store);
  return planMatchesOf(await inChunks(ids, (list) => query({ sql: BY_IDS(PLAN_MATCHES_JSON("i.id")), args: [entityId, list] })));
}

/** instancesByIdentity with only what a plan reads. */
export async function planMatchesByIdentity(store: EventStore, entityId: string, fieldKey: string, values: string[]): Promise<Map<string, PlanMatch>> {
  const query = planQuery(store);
  return planMatchesOf(await inChunks(values, (list) => query({ sql: BY_IDENTITY(PLAN_MATCHES_JSON("k.value")), args: [entityId, fieldKey, list] })));
}

export async function listInstances(store: EventStore, entityId: string, limit: number, after: string | null): Promise<InstanceState[]> {
  const args: InValue[] = [entityId];
  let sql = "SELECT * FROM instances WHERE entity_id = ?";
  if (after) (sql += " AND id > ?"), args.push(after);
  sql += " ORDER BY id LIMIT ?";
  args.push(limit);
  return (await store.query({ sql, args })).map(toInstance);
}

export async function getInstance(store: EventStore, entityId: string, id: string): Promise<InstanceState | null> {
  const rows = await store.query({ sql: "SELECT * FROM instances WHERE entity_id = ? AND id = ?", args: [entityId, id] });
  return rows[0] ? toInstance(rows[0]) : null;
}

/** A page of the live (not deleted) instances whose field `fieldKey` holds `value`, in id order. */
export async function liveInstancesWithField(store: EventStore, entityId: string, fieldKey: string, value: InValue, limit: number, after: string | null): Promise<InstanceState[]> {
  const args: InValue[] = [entityId, `$.${fieldKey}`, value];
  let sql = "SELECT * FROM instances WHERE entity_id = ? AND deleted = 0 AND json_extract(fields, ?) = ?";
  if (after) (sql += " AND id > ?"), args.push(after);
  sql += " ORDER BY id LIMIT ?";
  args.push(limit);
  return (await store.query({ sql, args })).map(toInstance);
}

/**
 * Selects a run's stored result text: inline in its import_runs row, or (plans and applies,
 * whose results are megabytes) in the event the row points at. Alias `r` is the run row.
 */
export const RUN_RESULT_FROM = `SELECT CASE WHEN r.result != '' THEN r.result ELSE json_extract(e.data, '$.ResultJson') END AS result
  FROM import_runs r LEFT JOIN events e ON e.position = r.position`;
