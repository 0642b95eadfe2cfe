import { upcast } from "../../events/upcast.js";
import type { DomainEvent } from "../../events/catalog.js";
import { identityBackfill } from "../projections/identity-backfill.js";
import { PROJECTION_TABLES, projectEvents, type ProjectedEvent, type ProjectionTable } from "../projections/project.js";
import { IdentityMode } from "../schemas/enums.js";
import type { EventStore, Stmt, StoredEvent } from "../store/event-store.js";
import { KEY_COLUMNS, tableChecksum } from "./checksum.js";

export type ProjectionReport = { Projection: string; LiveRows: number; RebuiltRows: number; LiveChecksum: string; RebuiltChecksum: string; Equal: boolean };
export type ReplayReport = {
  Events: number;
  LastPosition: number;
  DurationMs: number;
  EventsPerSecond: number;
  Equal: boolean;
  Swapped: boolean;
  Projections: ProjectionReport[];
};

const PREFIX = "replay_";
const replayName = (t: ProjectionTable) => `${PREFIX}${t}`;
const PAGE = 5000;

/**
 * Rebuilds every projection from position 0 into fresh `replay_*` tables with the same
 * projection code the live commits use, then compares a checksum per projection with the live
 * tables. With `swap`, a verified rebuild replaces the live tables in one atomic batch.
 */
export async function replayProjections(store: EventStore, opts: { swap?: boolean; now?: () => number } = {}): Promise<ReplayReport> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const ddl = await projectionDdl(store);
  await store.write([
    ...PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })),
    ...ddl.tables.map((d) => ({ sql: renameDdl(d.sql, d.table), args: [] })),
    ...ddl.indexes.map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })),
  ]);

  const identityFields = new Map<string, Set<string>>();
  const fieldsOf = (entityId: string) => [...(identityFields.get(entityId) ?? [])];
  let pending: Stmt[] = [];
  let events = 0;
  let last = 0;
  const flush = async () => {
    if (pending.length) await store.write(pending);
    pending = [];
  };

  for (;;) {
    const page = await store.read({ after: last, limit: PAGE });
    if (page.length === 0) break;
    for (const run of runsOf(page)) {
      const domain: ProjectedEvent[] = [];
      for (const e of run) {
        const event = upcast(e.type, e.schemaVersion, e.data);
        const newIdentity = identityFieldIntroduced(event, identityFields);
        if (newIdentity) {
          // Same as a live profile creation: index the values instances already hold.
          if (domain.length) pending.push(...project(domain.splice(0), run[0]!, fieldsOf));
          await flush();
          pending.push(...(await identityBackfill((s) => store.query(s), newIdentity.entityId, newIdentity.fieldKey, { instances: replayName("instances"), instanceKeys: replayName("instance_keys") })));
          identityFields.set(newIdentity.entityId, new Set([...fieldsOf(newIdentity.entityId), newIdentity.fieldKey]));
        }
        domain.push({ event, streamVersion: e.streamVersion });
      }
      pending.push(...project(domain, run[0]!, fieldsOf));
    }
    events += page.length;
    last = page[page.length - 1]!.position;
    await flush();
  }

  const projections: ProjectionReport[] = [];
  for (const t of PROJECTION_TABLES) {
    const q = (s: Stmt) => store.query(s);
    const [live, rebuilt] = await Promise.all([tableChecksum(q, t, KEY_COLUMNS[t]!), tableChecksum(q, replayName(t), KEY_COLUMNS[t]!)]);
    projections.push({ Projection: t, LiveRows: live.rows, RebuiltRows: rebuilt.rows, LiveChecksum: live.checksum, RebuiltChecksum: rebuilt.checksum, Equal: live.checksum === rebuilt.checksum });
  }
  const equal = projections.every((p) => p.Equal);
  let swapped = false;
  if (opts.swap && equal) {
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
    swapped = true;
  } else {
    await store.write(PROJECTION_TABLES.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })));
  }
  const durationMs = Math.max(1, Math.round(now() - started));
  return { Events: events, LastPosition: last, DurationMs: durationMs, EventsPerSecond: Math.round((events * 1000) / durationMs), Equal: equal, Swapped: swapped, Projections: projections };
}

function project(events: ProjectedEvent[], first: StoredEvent, identityFields: (entityId: string) => string[]): Stmt[] {
  return projectEvents(events, { recordedAt: first.recordedAt, actor: first.metadata.Actor, identityFields, table: replayName });
}

/** Live commits share one time and actor; consecutive events that do are projected together. */
function* runsOf(page: StoredEvent[]): Generator<StoredEvent[]> {
  let run: StoredEvent[] = [];
  for (const e of page) {
    const head = run[0];
    if (head && (head.recordedAt !== e.recordedAt || head.metadata.Actor !== e.metadata.Actor)) {
      yield run;
      run = [];
    }
    run.push(e);
  }
  if (run.length) yield run;
}

function identityFieldIntroduced(event: DomainEvent, known: Map<string, Set<string>>): { entityId: string; fieldKey: string } | null {
  if (event.type !== "ImportProfileCreated" && event.type !== "ImportProfileChanged") return null;
  const d = event.data;
  if (d.IdentityMode !== IdentityMode.Field || !d.IdentityFieldKey) return null;
  return known.get(d.EntityId)?.has(d.IdentityFieldKey) ? null : { entityId: d.EntityId, fieldKey: d.IdentityFieldKey };
}

type Ddl = { type: string; name: string; table: string; sql: string };

async function projectionDdl(store: EventStore): Promise<{ tables: Ddl[]; indexes: Ddl[] }> {
  const marks = PROJECTION_TABLES.map(() => "?").join(",");
  const rows = await store.query({ sql: `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name IN (${marks}) AND sql IS NOT NULL`, args: [...PROJECTION_TABLES] });
  const all = rows.map((r) => ({ type: String(r.type), name: String(r.name), table: String(r.tbl_name), sql: String(r.sql) }));
  return { tables: all.filter((d) => d.type === "table"), indexes: all.filter((d) => d.type === "index") };
}

/** The DDL of a live table or index, pointed at its replay_ twin. */
function renameDdl(sql: string, table: string, index?: string): string {
  const quoted = (name: string) => new RegExp("([`\"\\[]?)\\b" + name + "\\b([`\"\\]]?)");
  let out = sql;
  if (index) out = out.replace(quoted(index), `$1${PREFIX}${index}$2`);
  const onTable = index ? new RegExp("(\\bON\\s+)([`\"\\[]?)" + table + "\\b([`\"\\]]?)", "i") : new RegExp("(\\bTABLE\\s+)([`\"\\[]?)" + table + "\\b([`\"\\]]?)", "i");
  return out.replace(onTable, `$1$2${PREFIX}${table}$3`);
}
