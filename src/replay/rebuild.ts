import { upcast } from "../../events/upcast.js";
import type { DomainEvent } from "../../events/catalog.js";
import { identityBackfill } from "../projections/identity-backfill.js";
import { lastPosition } from "../projections/queries.js";
import type { InValue, Row } from "@libsql/client";
import { PROJECTION_TABLES, projectEvents, upsertTail, type ProjectedEvent, type ProjectionTable } from "../projections/project.js";
import { IdentityMode } from "../schemas/enums.js";
import { abortBatchIf } from "../store/batch-guard.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { isRunEventType, RUN_EVENT_TYPES, runEventRows } from "./run-rows.js";

export const PREFIX = "replay_";
export const replayName = (t: ProjectionTable) => `${PREFIX}${t}`;
const PAGE = 5000;

/** An event as the rebuild reads it: run events without data, instance events with only their identity values. */
type LogEvent = { position: number; streamVersion: number; type: string; schemaVersion: number; recordedAt: string; actor: string; data: unknown };

const INSTANCE_TYPES = ["InstanceCreated", "InstanceUpdated", "InstanceDeleted"];
const isInstanceType = (type: string) => INSTANCE_TYPES.includes(type);

/**
 * Rebuilds every projection from position 0 into fresh `replay_*` tables with the projection code
 * the live commits use. Instances are folded by SQL with the live upsert clause (their fields never
 * cross into JS); the identity index by projectEvents from each instance event's identity values,
 * run by run as the live commits did; import runs without reading their results. The log is read up
 * to its last position when the rebuild starts, so commits made meanwhile are not half in it.
 * Returns the number of events and that last position.
 */
export async function rebuildProjections(store: EventStore, ddl: ProjectionDdl): Promise<{ events: number; last: number }> {
  // The instances' own indexes are built after the bulk load, which is faster than keeping them up.
  const later = ddl.indexes.filter((d) => d.table === "instances");
  await store.write([
    ...PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })),
    ...ddl.tables.map((d) => ({ sql: renameDdl(d.sql, d.table), args: [] })),
    ...ddl.indexes.filter((d) => !later.includes(d)).map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })),
  ]);
  const query = (s: Stmt) => store.query(s);
  const upTo = await lastPosition(query);
  // Import runs first: a big run event is held in memory once, before the log pages fill the caches.
  await store.write(await runEventRows(query, replayName, upTo));
  const valueFields = await identityFieldsOfLog(query);

  const identityFields = new Map<string, Set<string>>();
  const fieldsOf = (entityId: string) => [...(identityFields.get(entityId) ?? [])];
  let pending: Stmt[] = [];
  let events = 0;
  let last = 0;
  let instancesDone = 0;
  const flush = async () => {
    if (pending.length) await store.write(pending);
    pending = [];
  };
  /** Folds the instance events up to `position` into replay_instances. */
  const foldInstances = (position: number) => {
    if (position > instancesDone) pending.push(foldInstancesSql(instancesDone, position));
    instancesDone = Math.max(instancesDone, position);
  };

  // A commit's events share one time and actor and are projected together, as the live commit
  // did; a run that reaches the end of a page continues on the next one.
  let run: LogEvent[] = [];
  const projectRun = async (events: LogEvent[]) => {
    const domain: ProjectedEvent[] = [];
    for (const e of events) {
      const event = upcast(e.type, e.schemaVersion, e.data);
      if (isRunEventType(e.type)) {
        // import_runs is projected above (without reading results); the event still ends the instance events before it.
        if (domain.length) pending.push(...project(domain.splice(0), events[0]!, fieldsOf));
        continue;
      }
      const newIdentity = identityFieldIntroduced(event, identityFields);
      if (newIdentity) {
        // Same as a live profile creation: index the values instances already hold.
        if (domain.length) pending.push(...project(domain.splice(0), events[0]!, fieldsOf));
        foldInstances(e.position - 1);
        await flush();
        pending.push(...compactClaims(await identityBackfill(query, newIdentity.entityId, newIdentity.fieldKey, { instances: replayName("instances"), instanceKeys: replayName("instance_keys") })));
        identityFields.set(newIdentity.entityId, new Set([...fieldsOf(newIdentity.entityId), newIdentity.fieldKey]));
      }
      domain.push({ event, streamVersion: e.streamVersion });
    }
    if (domain.length) pending.push(...project(domain, events[0]!, fieldsOf));
  };

  for (;;) {
    const page = await readPage(query, last, upTo, PAGE, valueFields);
    if (page.length === 0) break;
    for (const e of page) {
      const head = run[0];
      if (head && (head.recordedAt !== e.recordedAt || head.actor !== e.actor)) {
        await projectRun(run);
        run = [];
      }
      run.push(e);
    }
    events += page.length;
    last = page[page.length - 1]!.position;
    // Instances up to the run still open: a profile in it may need them as they were before it.
    foldInstances(run.length ? run[0]!.position - 1 : last);
    await flush();
  }
  if (run.length) await projectRun(run);
  foldInstances(last);
  pending.push(...later.map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })));
  await flush();
  return { events, last };
}

/**
 * projectEvents for a run of events, without its instance upserts: those are folded by SQL from
 * the full events, while the events here carry only their identity values.
 */
function project(events: ProjectedEvent[], first: LogEvent, identityFields: (entityId: string) => string[]): Stmt[] {
  return compactClaims(projectEvents(events, { recordedAt: first.recordedAt, actor: first.actor, identityFields, table: replayName, instanceRows: false }));
}

/**
 * The identity index statements of projectEvents (multi-row inserts of 256 claims, one delete per
 * instance or field) as one statement per run of them, their rows passed as one JSON array: a
 * prepared statement keeps its program and bound values in native memory until the JS heap is
 * collected, which a long rebuild does not wait for. Claims keep their order (first claim wins);
 * deletes commute, so consecutive ones are grouped. Statements of other shapes pass unchanged.
 */
export function compactClaims(stmts: Stmt[], table = replayName("instance_keys")): Stmt[] {
  const claim = `INSERT OR IGNORE INTO ${table} (entity_id, field_key, value, instance_id) VALUES `;
  const byInstance = `DELETE FROM ${table} WHERE instance_id = ?`;
  const byField = `DELETE FROM ${table} WHERE entity_id = ? AND field_key = ? AND instance_id = ?`;
  const out: Stmt[] = [];
  let claims: InValue[][] = [];
  let instances: InValue[] = [];
  let fields: InValue[][] = [];
  const flushClaims = () => {
    if (claims.length)
      out.push({ sql: `INSERT OR IGNORE INTO ${table} (entity_id, field_key, value, instance_id) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key`, args: [JSON.stringify(claims)] });
    claims = [];
  };
  const flushDeletes = () => {
    if (instances.length) out.push({ sql: `DELETE FROM ${table} WHERE instance_id IN (SELECT value FROM json_each(?))`, args: [JSON.stringify(instances)] });
    if (fields.length)
      out.push({ sql: `DELETE FROM ${table} WHERE (entity_id, field_key, instance_id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`, args: [JSON.stringify(fields)] });
    instances = [];
    fields = [];
  };
  for (const s of stmts) {
    const sql = typeof s === "string" ? s : s.sql;
    const args = typeof s === "string" || !Array.isArray(s.args) ? null : (s.args as InValue[]);
    const strings = args !== null && args.every((a) => typeof a === "string");
    if (strings && sql.startsWith(claim) && args.length % 4 === 0) {
      flushDeletes();
      for (let i = 0; i < args.length; i += 4) claims.push(args.slice(i, i + 4));
    } else if (strings && sql === byInstance && args.length === 1) {
      flushClaims();
      instances.push(args[0]!);
    } else if (strings && sql === byField && args.length === 3) {
      flushClaims();
      fields.push(args);
    } else {
      flushClaims();
      flushDeletes();
      out.push(s);
    }
  }
  flushClaims();
  flushDeletes();
  return out;
}

/** The instance events after `after` up to `upTo`, upserted in log order with the live upsert clause. */
function foldInstancesSql(after: number, upTo: number): Stmt {
  const table = replayName("instances");
  return {
    sql: `INSERT INTO ${table} (id, entity_id, fields, row_version, version, created_at, updated_at, deleted)
          SELECT data ->> '$.InstanceId', data ->> '$.EntityId',
            CASE type WHEN 'InstanceCreated' THEN data -> '$.Fields' WHEN 'InstanceUpdated' THEN data -> '$.Changes' ELSE '{}' END,
            data ->> '$.RowVersion', stream_version, recorded_at, recorded_at, type = 'InstanceDeleted'
          FROM events WHERE position > ? AND position <= ? AND type IN (${INSTANCE_TYPES.map((t) => `'${t}'`).join(", ")}) ORDER BY position
          ${upsertTail(table)}`,
    args: [after, upTo],
  };
}

/** Every field some profile of the log ever makes an identity field, per entity. */
async function identityFieldsOfLog(query: (s: Stmt) => Promise<Row[]>): Promise<Map<string, string[]>> {
  const known = new Map<string, Set<string>>();
  const rows = await query(`SELECT type, schema_version, data FROM events WHERE type IN ('ImportProfileCreated', 'ImportProfileChanged') ORDER BY position`);
  for (const r of rows) {
    const field = identityFieldIntroduced(upcast(String(r.type), Number(r.schema_version), JSON.parse(String(r.data))), known);
    if (field) known.set(field.entityId, new Set([...(known.get(field.entityId) ?? []), field.fieldKey]));
  }
  return new Map([...known].map(([entity, fields]) => [entity, [...fields]]));
}

/**
 * One page of the log as one JSON text (parsed once, not row by row). Run events come without
 * their data (see runEventRows); instance events with their ids and, per identity field of their
 * entity, `[value]` when their patch holds it and 0 when not: the rest of them is folded by SQL.
 */
async function readPage(query: (s: Stmt) => Promise<Row[]>, after: number, upTo: number, limit: number, valueFields: Map<string, string[]>): Promise<LogEvent[]> {
  const args: InValue[] = [];
  const patch = `CASE type WHEN 'InstanceCreated' THEN '$.Fields' ELSE '$.Changes' END`;
  // `[value]` as its JSON (-> keeps true, false and objects what they are), 0 when the key is absent.
  const value = (f: string) => {
    if (/^[A-Za-z0-9_]+$/.test(f)) return `CASE WHEN json_type(data, ${patch} || '."${f}"') IS NULL THEN 0 ELSE json_array(data -> (${patch} || '."${f}"')) END`;
    args.push(f);
    return `coalesce((SELECT json_array(data -> j.fullkey) FROM json_each(data, ${patch}) j WHERE j.key = ?), 0)`;
  };
  const values = [...valueFields]
    .map(([entity, fields]) => {
      args.push(entity);
      return `WHEN ? THEN json_array(${fields.map(value).join(", ")})`;
    })
    .join(" ");
  const [row] = await query({
    sql: `SELECT '[' || group_concat(concat('[', position, ',', stream_version, ',', json_quote(type), ',', schema_version, ',', json_quote(recorded_at), ',',
            coalesce(metadata -> '$.Actor', 'null'), ',',
            CASE WHEN type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}) THEN 'null'
              WHEN type IN (${INSTANCE_TYPES.map((t) => `'${t}'`).join(", ")})
                THEN json_array(data -> '$.InstanceId', data -> '$.EntityId', ${values ? `CASE WHEN type = 'InstanceDeleted' THEN NULL ELSE CASE data ->> '$.EntityId' ${values} END END` : "NULL"})
              ELSE data END, ']'), ',') || ']' AS page
          FROM (SELECT * FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?)`,
    args: [...args, after, upTo, limit],
  });
  const text = row?.page;
  if (text === null || text === undefined) return [];
  return (JSON.parse(String(text)) as [number, number, string, number, string, string, unknown][]).map(([position, streamVersion, type, schemaVersion, recordedAt, actor, data]) => ({
    position,
    streamVersion,
    type,
    schemaVersion,
    recordedAt,
    actor,
    data: isInstanceType(type) ? instanceData(type, data as [unknown, unknown, unknown[] | null], valueFields) : data,
  }));
}

/** An instance event as projectEvents needs it for the identity index: ids and identity values only. */
function instanceData(type: string, [InstanceId, EntityId, present]: [unknown, unknown, unknown[] | null], valueFields: Map<string, string[]>): unknown {
  const patch: Record<string, unknown> = {};
  const fields = valueFields.get(String(EntityId)) ?? [];
  fields.forEach((f, i) => {
    const v = present?.[i];
    if (Array.isArray(v)) patch[f] = v[0];
  });
  const base = { InstanceId, EntityId, RowVersion: "", RunId: null };
  return type === "InstanceCreated" ? { ...base, Fields: patch } : type === "InstanceUpdated" ? { ...base, Changes: patch } : { ...base, Reason: null };
}

export function identityFieldIntroduced(event: DomainEvent, known: Map<string, Set<string>>): { entityId: string; fieldKey: string } | null {
  if (event.type !== "ImportProfileCreated" && event.type !== "ImportProfileChanged") return null;
  const d = event.data;
  if (d.IdentityMode !== IdentityMode.Field || !d.IdentityFieldKey) return null;
  return known.get(d.EntityId)?.has(d.IdentityFieldKey) ? null : { entityId: d.EntityId, fieldKey: d.IdentityFieldKey };
}

type Ddl = { type: string; name: string; table: string; sql: string };
export type ProjectionDdl = { tables: Ddl[]; indexes: Ddl[] };

export async function projectionDdl(store: EventStore): Promise<ProjectionDdl> {
  const marks = PROJECTION_TABLES.map(() => "?").join(",");
  const rows = await store.query({ sql: `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name IN (${marks}) AND sql IS NOT NULL`, args: [...PROJECTION_TABLES] });
  const all = rows.map((r) => ({ type: String(r.type), name: String(r.name), table: String(r.tbl_name), sql: String(r.sql) }));
  return { tables: all.filter((d) => d.type === "table"), indexes: all.filter((d) => d.type === "index") };
}

/** The DDL of a live table or index, pointed at its replay_ twin. */
export function renameDdl(sql: string, table: string, index?: string): string {
  const quoted = (name: string) => new RegExp("([`\"\\[]?)\\b" + name + "\\b([`\"\\]]?)");
  let out = sql;
  if (index) out = out.replace(quoted(index), `$1${PREFIX}${index}$2`);
  const onTable = index ? new RegExp("(\\bON\\s+)([`\"\\[]?)" + table + "\\b([`\"\\]]?)", "i") : new RegExp("(\\bTABLE\\s+)([`\"\\[]?)" + table + "\\b([`\"\\]]?)", "i");
  return out.replace(onTable, `$1$2${PREFIX}${table}$3`);
}

/**
 * Replaces the live tables with the rebuilt ones in one atomic batch, unless the log moved on
 * after `last` (the position the rebuild read up to): a commit in between changed the live tables,
 * and swapping would lose its projection rows. Returns false when the log moved (nothing changed).
 */
export async function swapIn(store: EventStore, ddl: ProjectionDdl, last: number): Promise<boolean> {
  try {
    await store.write([
      abortBatchIf("EXISTS (SELECT 1 FROM events WHERE position > ?)", [last]),
      ...PROJECTION_TABLES.flatMap((t) => [
        { sql: `DROP TABLE ${t}`, args: [] },
        { sql: `ALTER TABLE ${replayName(t)} RENAME TO ${t}`, args: [] },
      ]),
      // Indexes keep their replay_ names through a rename; give them their own back.
      ...ddl.indexes.flatMap((d) => [
        { sql: `DROP INDEX IF EXISTS ${PREFIX}${d.name}`, args: [] },
        { sql: d.sql, args: [] },
      ]),
    ]);
    return true;
  } catch (error) {
    if (await logMovedPast(store, last)) return false;
    throw error;
  }
}

/** True when events were appended after `last`. */
export const logMovedPast = async (store: EventStore, last: number): Promise<boolean> => (await lastPosition((s) => store.query(s))) > last;

export const dropReplayTables = (store: EventStore) => store.write(PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })));
