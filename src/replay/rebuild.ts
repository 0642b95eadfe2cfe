import { upcast } from "../../events/upcast.js";
import type { DomainEvent } from "../../events/catalog.js";
import { identityBackfill } from "../projections/identity-backfill.js";
import { PROJECTION_TABLES, projectEvents, type ProjectedEvent, type ProjectionTable } from "../projections/project.js";
import { IdentityMode } from "../schemas/enums.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { isRunEventType, RUN_EVENT_TYPES, runEventRows } from "./run-rows.js";

export const PREFIX = "replay_";
export const replayName = (t: ProjectionTable) => `${PREFIX}${t}`;
const PAGE = 5000;

/** An event as the rebuild reads it: run events without their data (see runEventRows). */
type LogEvent = { position: number; streamVersion: number; type: string; schemaVersion: number; recordedAt: string; actor: string; data: unknown };

/**
 * Rebuilds every projection from position 0 into fresh `replay_*` tables with the same
 * projection code the live commits use (import runs read without their results). Returns the number
 * of events and the last position read.
 */
export async function rebuildProjections(store: EventStore, ddl: ProjectionDdl): Promise<{ events: number; last: number }> {
  await store.write([
    ...PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })),
    ...ddl.tables.map((d) => ({ sql: renameDdl(d.sql, d.table), args: [] })),
    ...ddl.indexes.map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })),
  ]);
  // Import runs first: a big run event is held in memory once, before the log pages fill the caches.
  await store.write(await runEventRows((s) => store.query(s), replayName));

  const identityFields = new Map<string, Set<string>>();
  const fieldsOf = (entityId: string) => [...(identityFields.get(entityId) ?? [])];
  let pending: Stmt[] = [];
  let events = 0;
  let last = 0;
  const flush = async () => {
    if (pending.length) await store.write(pending);
    pending = [];
  };

  // A commit's events share one time and actor and are projected together, as the live commit
  // did; a run that reaches the end of a page continues on the next one.
  let run: LogEvent[] = [];
  const projectRun = async (events: LogEvent[]) => {
    const domain: ProjectedEvent[] = [];
    for (const e of events) {
      const event = upcast(e.type, e.schemaVersion, e.data);
      if (isRunEventType(e.type)) {
        // import_runs is projected below (without reading results); the event still ends the instance events before it.
        if (domain.length) pending.push(...project(domain.splice(0), events[0]!, fieldsOf));
        continue;
      }
      const newIdentity = identityFieldIntroduced(event, identityFields);
      if (newIdentity) {
        // Same as a live profile creation: index the values instances already hold.
        if (domain.length) pending.push(...project(domain.splice(0), events[0]!, fieldsOf));
        await flush();
        pending.push(...(await identityBackfill((s) => store.query(s), newIdentity.entityId, newIdentity.fieldKey, { instances: replayName("instances"), instanceKeys: replayName("instance_keys") })));
        identityFields.set(newIdentity.entityId, new Set([...fieldsOf(newIdentity.entityId), newIdentity.fieldKey]));
      }
      domain.push({ event, streamVersion: e.streamVersion });
    }
    if (domain.length) pending.push(...project(domain, events[0]!, fieldsOf));
  };

  for (;;) {
    const page = await readPage(store, last, PAGE);
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
    await flush();
  }
  if (run.length) await projectRun(run);
  await flush();
  return { events, last };
}

function project(events: ProjectedEvent[], first: LogEvent, identityFields: (entityId: string) => string[]): Stmt[] {
  return projectEvents(events, { recordedAt: first.recordedAt, actor: first.actor, identityFields, table: replayName });
}

/**
 * One page of the log as one JSON text (parsed once, not row by row). Run events come without
 * their data: see runEventRows.
 */
async function readPage(store: EventStore, after: number, limit: number): Promise<LogEvent[]> {
  const [row] = await store.query({
    sql: `SELECT '[' || group_concat(concat('[', position, ',', stream_version, ',', json_quote(type), ',', schema_version, ',', json_quote(recorded_at), ',',
            coalesce(metadata -> '$.Actor', 'null'), ',', CASE WHEN type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}) THEN 'null' ELSE data END, ']'), ',') || ']' AS page
          FROM (SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?)`,
    args: [after, limit],
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
    data,
  }));
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

/** Replaces the live tables by their verified replay_ twins in one atomic batch. */
export async function swapIn(store: EventStore, ddl: ProjectionDdl): Promise<void> {
  await store.write([
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
}

export const dropReplayTables = (store: EventStore) => store.write(PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })));
