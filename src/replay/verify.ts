import { eventCatalog } from "../../events/catalog.js";
import { upcast } from "../../events/upcast.js";
import { projectEvents } from "../projections/project.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { CHECKSUM_ORDER, instanceText, pageRanges, pageText, rangeWhere, rowText, StreamHasher, tableChecksum, tableColumns, type Column, type Query } from "./checksum.js";
import { identityFieldIntroduced, renameDdl, replayName, type ProjectionDdl } from "./rebuild.js";
import { importRunRows, RUN_EVENT_TYPES } from "./run-rows.js";
import type { ProjectionReport } from "./replay.js";

type Checksum = { rows: number; checksum: string };

/**
 * Verifies the live projections against the log without writing the big ones again.
 *
 * A rebuild writes every instance and identity claim once more and hashes both copies; most of
 * a replay's time went there. Here SQL checks each live `instances` row against the events of its
 * stream (an instance created and never changed is a prefix of its InstanceCreated event's JSON;
 * a changed one is the json_patch fold of its stream, as the upserts computed it), and derives
 * the identity index those instances imply, compared byte for byte with the live one. The small
 * projections are rebuilt as usual. When every check passes, the rebuilt rows are the live rows:
 * both carry the live table's checksum.
 *
 * A log this does not judge (an update or delete touching an instance of an entity with identity
 * fields, identity values SQL cannot normalize, event versions it does not know) or any mismatch
 * returns null: the caller then rebuilds everything, which also reports what differs.
 */
export async function verifyProjections(store: EventStore, ddl: ProjectionDdl): Promise<{ events: number; last: number; projections: ProjectionReport[] } | null> {
  const q: Query = (s) => store.query(s);
  const [log] = await q("SELECT count(*) AS n, max(position) AS last FROM events");
  const types = await q("SELECT DISTINCT type FROM events");
  if (types.some((r) => !Object.hasOwn(eventCatalog, String(r.type)))) return null; // the rebuild reports it
  const [odd] = await q(`SELECT 1 AS x FROM events WHERE type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}) AND schema_version <> 1 LIMIT 1`);
  if (odd) return null;

  // Definitions and profiles: few events, projected by projectEvents; import_runs by its SQL.
  const small = ["entity_definitions", "profiles", "import_runs"] as const;
  const identity = new Map<string, Set<string>>();
  const stmts: Stmt[] = [];
  const rows = await q(
    `SELECT stream_version, type, schema_version, recorded_at, metadata ->> '$.Actor' AS actor, data FROM events
     WHERE type IN ('EntityDefinitionCreated', 'EntityDefinitionChanged', 'ImportProfileCreated', 'ImportProfileChanged') ORDER BY position`,
  );
  for (const r of rows) {
    const event = upcast(String(r.type), Number(r.schema_version), JSON.parse(String(r.data)));
    const field = identityFieldIntroduced(event, identity);
    if (field) identity.set(field.entityId, new Set([...(identity.get(field.entityId) ?? []), field.fieldKey]));
    stmts.push(...projectEvents([{ event, streamVersion: Number(r.stream_version) }], { recordedAt: String(r.recorded_at), actor: String(r.actor), identityFields: () => [], table: replayName }));
  }
  const smallDdl = <T extends { table: string }>(list: T[]) => list.filter((d) => (small as readonly string[]).includes(d.table));
  await store.write([
    ...small.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })),
    ...smallDdl(ddl.tables).map((d) => ({ sql: renameDdl(d.sql, d.table), args: [] })),
    ...smallDdl(ddl.indexes).map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })),
    ...stmts,
    importRunRows(replayName("import_runs")),
  ]);
  try {
    const checked = await verifyInstancesAndKeys(q, identity);
    if (!checked) return null;
    const projections: ProjectionReport[] = [];
    for (const t of ["entity_definitions", "profiles", "instances", "instance_keys", "import_runs"] as const) {
      if (t === "instances" || t === "instance_keys") {
        const live = checked[t];
        projections.push({ Projection: t, LiveRows: live.rows, RebuiltRows: live.rows, LiveChecksum: live.checksum, RebuiltChecksum: live.checksum, Equal: true });
        continue;
      }
      const columns = await tableColumns(q, t);
      const [live, rebuilt] = await Promise.all([tableChecksum(q, t, CHECKSUM_ORDER[t]!, columns), tableChecksum(q, replayName(t), CHECKSUM_ORDER[t]!, columns)]);
      projections.push({ Projection: t, LiveRows: live.rows, RebuiltRows: rebuilt.rows, LiveChecksum: live.checksum, RebuiltChecksum: rebuilt.checksum, Equal: live.checksum === rebuilt.checksum });
    }
    return { events: Number(log?.n ?? 0), last: Number(log?.last ?? 0), projections };
  } finally {
    await store.write(small.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })));
  }
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** The patch an instance event applies, as projectEvents builds it (Fields, Changes, or {}). */
const patchOf = (e: string) => `CASE ${e}.type WHEN 'InstanceCreated' THEN jsonb_extract(${e}.data, '$.Fields') WHEN 'InstanceUpdated' THEN jsonb_extract(${e}.data, '$.Changes') ELSE '{}' END`;
/** The characters String.prototype.trim removes from an ASCII string. */
const ASCII_SPACE = "char(9, 10, 11, 12, 13, 32)";

/**
 * Checks the live instances against their streams and the live identity index against the
 * claims those instances imply, one range of instance ids at a time, hashing both tables as
 * tableChecksum does. Null when anything differs or is not covered by these checks.
 */
async function verifyInstancesAndKeys(q: Query, identity: Map<string, Set<string>>): Promise<{ instances: Checksum; instance_keys: Checksum } | null> {
  const entities = [...identity].map(([entity, fields]) => ({ entity, fields: [...fields].sort() }));
  if (entities.some((e) => e.fields.some((f) => !/^[A-Za-z0-9_]+$/.test(f)))) return null; // field keys go into JSON paths
  const [count] = await q(`SELECT count(*) AS n FROM events WHERE type IN ('InstanceCreated', 'InstanceUpdated', 'InstanceDeleted')`);
  const keyColumns = await tableColumns(q, "instance_keys");
  const shape = instanceText(await tableColumns(q, "instances"), "l");
  const claimText = claimRowText(keyColumns);
  if (!shape || !claimText) return null;
  // The rest of the row text of an instance created and never changed (null: unknown columns).
  const restValues: Record<string, string> = { version: "1", created_at: "at", updated_at: "at", deleted: "0" };
  if (shape.restColumns.some((c) => !(c.name in restValues))) return null;
  const singleRest = shape.rest((c) => restValues[c.name]!);

  const fields = entities.flatMap(({ entity, fields }) => fields.map((field) => ({ entity, field })));
  // Per identity field, the field's JSON value in instances of its entity (after a validity check:
  // JSON functions throw on malformed text, and a live row may be anything).
  const valueCols = fields.map(({ entity, field }, j) => `CASE WHEN l.entity_id = ${sqlText(entity)} AND json_valid(l.fields) THEN l.fields -> '$."${field}"' END AS x${j}`);
  const validCol = entities.length ? `CASE WHEN l.entity_id IN (${entities.map((e) => sqlText(e.entity)).join(", ")}) THEN json_valid(l.fields) ELSE 1 END AS valid` : "1 AS valid";
  // What normalizeIdentity makes of a value, where SQL does the same: ASCII text without escapes
  // (trimmed, lower-cased, empty: none) or an integer's digits. `plain` says SQL could judge it.
  const normalized = (x: string) => `CASE WHEN substr(${x}, 1, 1) = '"' THEN nullif(lower(trim(substr(${x}, 2, length(${x}) - 2), ${ASCII_SPACE})), '') WHEN ${x} <> 'null' THEN ${x} END`;
  const plain = (x: string) =>
    `(${x} IS NULL OR ${x} = 'null' OR (substr(${x}, 1, 1) = '"' AND instr(${x}, '\\') = 0 AND length(${x}) = octet_length(${x})) OR (length(${x}) < 16 AND ${x} NOT GLOB '*[^0-9-]*'))`;
  const claims = fields.length ? `nullif(concat_ws(x'1e', ${fields.map(({ field }, j) => claimText(field, normalized(`x${j}`))).join(", ")}), '')` : "NULL";
  const judged = fields.length ? `valid AND ${fields.map((_, j) => plain(`x${j}`)).join(" AND ")}` : "valid";

  // Updates and deletes of an entity with identity fields move claims in ways not followed here.
  const untouched = (e: string) =>
    entities.length
      ? `CASE l.entity_id ${entities.map(({ entity, fields }) => `WHEN ${sqlText(entity)} THEN ${e}.type = 'InstanceUpdated' AND ${fields.map((f) => `json_type(${e}.data, '$.Changes."${f}"') IS NULL`).join(" AND ")}`).join(" ")} ELSE 1 END`
      : "1";
  // The first two members of every instance event: its instance and entity.
  const head = `concat('{"InstanceId":', json_quote(l.id), ',"EntityId":', json_quote(l.entity_id), ',')`;
  const first = `e1.type = 'InstanceCreated' AND e1.schema_version IN (1, 2) AND instr(e1.data, ${head}) = 1 AND l.created_at = e1.recorded_at`;
  const next = (e: string, prev: string) =>
    `${e}.type IN ('InstanceUpdated', 'InstanceDeleted') AND ${e}.schema_version = 1 AND ${e}.position > ${prev} AND instr(${e}.data, ${head}) = 1 AND ${untouched(e)}`;
  const last = (e: string) => `${e}.data ->> '$.RowVersion' = l.row_version AND ${e}.recorded_at = l.updated_at AND (${e}.type = 'InstanceDeleted') = l.deleted`;
  // Changed once: the upsert's json_patch of the created fields with the change.
  const twice = `(SELECT ${first} AND ${next("e2", "e1.position")} AND json_patch(${patchOf("e1")}, ${patchOf("e2")}) = l.fields AND ${last("e2")}
    FROM events e2 WHERE e2.stream_id = e1.stream_id AND e2.stream_version = 2)`;
  // Changed more often: fold the stream's patches in order, exactly as the upserts did.
  const folded = `(WITH RECURSIVE f(v, pos, doc, good) AS (
      SELECT 1, e1.position, ${patchOf("e1")}, ${first}
      UNION ALL
      SELECT f.v + 1, e.position, json_patch(f.doc, ${patchOf("e")}), f.good AND ${next("e", "f.pos")} AND (f.v + 1 < l.version OR ${last("e")})
      FROM f JOIN events e ON e.stream_id = e1.stream_id AND e.stream_version = f.v + 1 WHERE f.v < l.version)
    SELECT f.good AND f.doc = l.fields FROM f WHERE f.v = l.version)`;
  // Created and never changed: the row's event-shaped start is a prefix of its event, the event
  // names its RowVersion once (so the fields cannot have been cut short), and the rest matches.
  const single = `ty = 'InstanceCreated' AND sv IN (1, 2) AND instr(d, p) = 1 AND instr(substr(d, length(p) + 1), ',"RowVersion":') = 0 AND t = ${singleRest}`;

  const heldText = rowText(keyColumns, "k");
  const keysOrder = CHECKSUM_ORDER.instance_keys!.map((c) => `"${c}"`).join(", ");
  const page = (where: { sql: string }, keysWhere: { sql: string }) => `
    SELECT ${pageText("concat(p, x'1f', t)")} AS body, count(*) AS n, sum(version) AS events,
      sum(CASE WHEN version = 1 THEN ${single} ELSE ok END) AS ok, min(${judged}) AS judged,
      CAST(group_concat(${claims}, x'1e') || x'1e' AS BLOB) AS implied,
      (SELECT ${pageText(heldText)} FROM (SELECT * FROM instance_keys k ${keysWhere.sql} ORDER BY ${keysOrder}) k) AS held,
      (SELECT count(*) FROM instance_keys k ${keysWhere.sql}) AS heldRows
    FROM (SELECT l.id, l.version, l.entity_id, ${shape.prefix} AS p, ${shape.rest((c) => `l."${c.name}"`)} AS t,
            e1.type AS ty, e1.schema_version AS sv, e1.data AS d, e1.recorded_at AS at,
            CASE WHEN l.version = 2 THEN coalesce(${twice}, 0) WHEN l.version <> 1 THEN coalesce(${folded}, 0) END AS ok,
            ${validCol}${valueCols.map((c) => `, ${c}`).join("")}
          FROM instances l LEFT JOIN events e1 ON e1.stream_id = 'instance-' || l.id AND e1.stream_version = 1
          ${where.sql} ORDER BY l.id)`;

  const instances = new StreamHasher();
  const keys = new StreamHasher();
  let events = 0;
  for await (const range of pageRanges(q, "instances", "id")) {
    const where = rangeWhere("l.id", range);
    const keysWhere = rangeWhere("k.instance_id", range);
    const [row] = await q({ sql: page(where, keysWhere), args: [...keysWhere.args, ...keysWhere.args, ...where.args] });
    const n = Number(row?.n ?? 0);
    if (Number(row?.ok ?? 0) !== n || (n > 0 && Number(row?.judged) !== 1) || !sameBytes(row?.implied, row?.held)) return null;
    events += Number(row?.events ?? 0);
    await Promise.all([instances.add(row?.body, n), keys.add(row?.held, Number(row?.heldRows ?? 0))]);
  }
  // Every instance event belongs to exactly one verified row: none is left over.
  if (events !== Number(count?.n ?? 0)) return null;
  return { instances: { rows: instances.rows, checksum: await instances.checksum() }, instance_keys: { rows: keys.rows, checksum: await keys.checksum() } };
}

/**
 * The row text of an identity claim (entity, field, value, this instance) exactly as rowText
 * writes an instance_keys row, null when the value is; or null if the table has other columns.
 */
function claimRowText(columns: readonly Column[]): ((field: string, value: string) => string) | null {
  const known = new Set(["entity_id", "field_key", "value", "instance_id"]);
  if (columns.length !== known.size || columns.some((c) => !known.has(c.name) || !c.notNull || c.type !== "TEXT")) return null;
  return (field, value) => {
    const values: Record<string, string> = { entity_id: "entity_id", field_key: sqlText(field), value, instance_id: "id" };
    return columns.map(({ name }) => values[name]!).join(" || x'1f' || ");
  };
}

/** Whether two BLOBs from SQL (ArrayBuffers, or null for none) hold the same bytes. */
function sameBytes(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (!(a instanceof ArrayBuffer) || !(b instanceof ArrayBuffer) || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
