import { eventCatalog } from "../../events/catalog.js";
import { upcast } from "../../events/upcast.js";
import { projectEvents } from "../projections/project.js";
import { lastPosition } from "../projections/queries.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { claimEntities, claimsMatch } from "./claims.js";
import { CHECKSUM_ORDER, instanceText, pageRanges, pageText, rangeWhere, rowText, StreamHasher, tableChecksum, tableColumns, type PageRange, type Query } from "./checksum.js";
import { identityFieldIntroduced, renameDdl, replayName, type ProjectionDdl } from "./rebuild.js";
import { RUN_EVENT_TYPES, runEventRows } from "./run-rows.js";
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
 * A log this does not judge (an update or delete of an instance whose entity has identity fields,
 * two instances with one identity value, event versions it does not know) or any mismatch returns
 * null: the caller then rebuilds everything, which also reports what differs.
 */
export async function verifyProjections(store: EventStore, ddl: ProjectionDdl): Promise<{ events: number; last: number; projections: ProjectionReport[] } | null> {
  const q: Query = (s) => store.query(s);

  // Definitions and profiles: few events, projected by projectEvents (which also says which
  // fields are identity fields), import runs from the start of their events.
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

  // The instance pages are the replay's critical path: with the database thread they are asked
  // for first, and everything else here (the log's counts, the run events, the small projections
  // and their checksums) is done while that thread reads them. A check that fails stops the other.
  const stop = { stopped: false };
  const stopping = <T>(work: Promise<T | null>) =>
    work.then(
      (r) => (r === null && (stop.stopped = true), r),
      (e: unknown) => ((stop.stopped = true), Promise.reject(e)),
    );
  let asked = () => {};
  const firstPagesAsked = new Promise<void>((resolve) => (asked = resolve));
  const pages = stopping(verifyInstancesAndKeys(q, store.queryBeside ?? q, store.readProcess?.() ?? null, identity, stop, asked));
  pages.catch(() => undefined); // awaited below
  try {
    await Promise.race([firstPagesAsked, pages]);
    const small = await stopping(smallProjections(store, ddl, stmts));
    const checked = await pages;
    // Every instance event belongs to exactly one verified row: none is left over.
    if (!small || !checked || checked.events !== small.instanceEvents) return null;
    const projections: ProjectionReport[] = [];
    for (const t of ["entity_definitions", "profiles", "instances", "instance_keys", "import_runs"] as const) {
      const { live, rebuilt } = t === "instances" || t === "instance_keys" ? { live: checked[t], rebuilt: checked[t] } : small.checksums[t];
      projections.push({ Projection: t, LiveRows: live.rows, RebuiltRows: rebuilt.rows, LiveChecksum: live.checksum, RebuiltChecksum: rebuilt.checksum, Equal: live.checksum === rebuilt.checksum });
    }
    return { events: small.events, last: small.last, projections };
  } finally {
    // Nothing of this check is left running when it returns: the loop stops asking for pages,
    // and the pages it asked for are read before this write on the database thread.
    await pages.catch(() => undefined);
    await store.write(SMALL.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })));
  }
}

const SMALL = ["entity_definitions", "profiles", "import_runs"] as const;
type Small = (typeof SMALL)[number];

/**
 * The log's counts, and the small projections rebuilt into `replay_*` tables (definitions and
 * profiles from `defined`, import runs from the start of their events) with both checksums of
 * each. Null for a log the in-place check does not judge. The caller drops the tables.
 */
async function smallProjections(store: EventStore, ddl: ProjectionDdl, defined: Stmt[]) {
  const q: Query = (s) => store.query(s);
  const last = await lastPosition(q);
  // The counts and run events of one state of the log, however it grows meanwhile.
  const types = new Map((await q({ sql: "SELECT type, count(*) AS n FROM events WHERE position <= ? GROUP BY type", args: [last] })).map((r) => [String(r.type), Number(r.n)]));
  if ([...types.keys()].some((t) => !Object.hasOwn(eventCatalog, t))) return null; // the rebuild reports it
  const [odd] = await q(`SELECT 1 AS x FROM events WHERE type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}) AND schema_version <> 1 LIMIT 1`);
  if (odd) return null;
  const runs = await runEventRows(q, replayName, last);
  const smallDdl = <T extends { table: string }>(list: T[]) => list.filter((d) => (SMALL as readonly string[]).includes(d.table));
  await store.write([
    ...SMALL.map((t) => ({ sql: `DROP TABLE IF EXISTS ${replayName(t)}`, args: [] })),
    ...smallDdl(ddl.tables).map((d) => ({ sql: renameDdl(d.sql, d.table), args: [] })),
    ...smallDdl(ddl.indexes).map((d) => ({ sql: renameDdl(d.sql, d.table, d.name), args: [] })),
    ...defined,
    ...runs,
  ]);
  const checksums = {} as Record<Small, { live: Checksum; rebuilt: Checksum }>;
  for (const t of SMALL) {
    const columns = await tableColumns(q, t);
    const live = await tableChecksum(q, t, CHECKSUM_ORDER[t]!, columns);
    const rebuilt = await tableChecksum(q, replayName(t), CHECKSUM_ORDER[t]!, columns);
    checksums[t] = { live, rebuilt };
  }
  const events = [...types.values()].reduce((a, b) => a + b, 0);
  const instanceEvents = ["InstanceCreated", "InstanceUpdated", "InstanceDeleted"].reduce((n, t) => n + (types.get(t) ?? 0), 0);
  return { last, events, instanceEvents, checksums };
}

/** f's result, computed on the first call. */
const once = <T>(f: () => T) => {
  let done: { value: T } | undefined;
  return () => (done ??= { value: f() }).value;
};

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** The patch an instance event applies, as projectEvents builds it (Fields, Changes, or {}). */
const patchOf = (e: string) => `CASE ${e}.type WHEN 'InstanceCreated' THEN jsonb_extract(${e}.data, '$.Fields') WHEN 'InstanceUpdated' THEN jsonb_extract(${e}.data, '$.Changes') ELSE '{}' END`;

/**
 * Checks the live instances against their streams and the live identity index against the
 * claims those instances imply, one range of instance ids at a time, hashing both tables as
 * tableChecksum does. Null when anything differs or is not covered by these checks.
 */
async function verifyInstancesAndKeys(
  q: Query,
  qPage: Query,
  elsewhere: Query | null,
  identity: Map<string, Set<string>>,
  stop: { stopped: boolean },
  firstAsked: () => void,
): Promise<{ instances: Checksum; instance_keys: Checksum; events: number } | null> {
  const entities = [...identity].map(([entity, fields]) => ({ entity, fields: [...fields].sort() }));
  if (entities.some((e) => e.fields.some((f) => !/^[A-Za-z0-9_]+$/.test(f)))) return null; // field keys go into JSON paths
  const keyColumns = await tableColumns(q, "instance_keys");
  const shape = instanceText(await tableColumns(q, "instances"), "l");
  // The identity index is compared as text built here, so it must have exactly these columns.
  if (!shape || keyColumns.map((c) => `${c.name}:${c.type}:${c.notNull}`).join() !== "entity_id:TEXT:true,field_key:TEXT:true,value:TEXT:true,instance_id:TEXT:true") return null;
  // The columns after the event-shaped start: only those this check knows.
  if (shape.restColumns.map((c) => c.name).join() !== "version,created_at,updated_at,deleted") return null;

  // Per instance of an entity with identity fields: its id, the entity's index in `entities` (not
  // its 36-byte id: claimsMatch knows it by the index) and the JSON value of each identity field
  // ('' when absent). JSON functions throw on malformed text, and a live row may hold anything:
  // only valid fields are read. claimsMatch normalizes them in JS.
  const identityValues = entities.length
    ? `CASE l.entity_id ${entities
        .map(({ entity, fields }, i) => `WHEN ${sqlText(entity)} THEN CASE WHEN json_valid(l.fields) THEN concat_ws(x'1f', l.id, '${i}', ${fields.map((f) => `coalesce(l.fields -> '$."${f}"', '')`).join(", ")}) ELSE '' END`)
        .join(" ")} END`
    : "NULL";
  const claimed = claimEntities(entities);

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
  // Created and never changed: the row's event-shaped start is a prefix of its event (the fields
  // are valid JSON, so they cannot be a cut-short prefix of the event's) and it has its times.
  const single = `valid AND ty = 'InstanceCreated' AND sv IN (1, 2) AND instr(d, p) = 1 AND created_at = at AND updated_at = at AND deleted = 0`;

  const instancesPage = (where: string) => `
    SELECT ${pageText(`concat(p, x'1f', ${shape.rest((c) => `"${c.name}"`)})`)} AS body, count(*) AS n, sum(version) AS events,
      sum(CASE WHEN version = 1 THEN ${single} ELSE ok END) AS ok, CAST(group_concat(claims, x'1e') AS BLOB) AS claims
    FROM (SELECT l.id, l.version, l.entity_id, l.created_at, l.updated_at, l.deleted, ${shape.prefix} AS p,
            e1.type AS ty, e1.schema_version AS sv, e1.data AS d, e1.recorded_at AS at, json_valid(l.fields) AS valid,
            CASE WHEN l.version = 2 THEN coalesce(${twice}, 0) WHEN l.version <> 1 THEN coalesce(${folded}, 0) END AS ok
            , ${identityValues} AS claims
          FROM instances l LEFT JOIN events e1 ON e1.stream_id = 'instance-' || l.id AND e1.stream_version = 1
          ${where} ORDER BY l.id)`;
  const keysOrder = CHECKSUM_ORDER.instance_keys!.map((c) => `"${c}"`).join(", ");
  // As bytes, as tableChecksum reads them: hashed and compared as they are.
  const keysPage = (where: string) => `SELECT ${pageText(rowText(keyColumns, "k"))} AS held, count(*) AS n FROM (SELECT * FROM instance_keys k ${where} ORDER BY ${keysOrder}) k`;

  const instances = new StreamHasher();
  const keys = new StreamHasher();
  // Each page is a key range, so pages can be asked for ahead of this loop, of more than one
  // reader: the Node server's database thread (`qPage`, its own connection) and its read process
  // (`elsewhere`, another process's connection). Each takes the next page when it has fewer than
  // `most` waiting, and each page's request is followed there by the identity index rows of the
  // same ids, while this thread finds the next ranges, compares and hashes. Nothing is read here
  // during the pages: SQLite takes one allocation mutex for every connection of a process, and
  // pages read on this thread slowed the database thread's by as much as they took off it
  // (bench/notes-replay.md, stops 12 and 17); another process's connection shares no such lock.
  const rangeList = pageRanges(q, "instances", "id");
  const ranges: PageRange[] = [];
  const rangeAt = async (i: number): Promise<PageRange | undefined> => {
    for (let r; ranges.length <= i && !(r = await rangeList.next()).done; ) ranges.push(r.value);
    return ranges[i];
  };
  type Reader = { query: Query; most: number; waiting: number; failed: boolean };
  const main: Reader = { query: qPage, most: qPage === q ? 1 : 3, waiting: 0, failed: false };
  const readers = elsewhere ? [main, { query: elsewhere, most: 2, waiting: 0, failed: false }] : [main];
  const asked = <T>(rows: Promise<T>) => (rows.catch(() => undefined), rows); // awaited below, or dropped with the check that failed first
  const readPage = (reader: Reader, range: PageRange) => {
    const where = rangeWhere("l.id", range);
    const keyRange = rangeWhere("k.instance_id", range);
    const read = (r: Reader) => ({ rows: r.query({ sql: instancesPage(where.sql), args: where.args }), held: r.query({ sql: keysPage(keyRange.sql), args: keyRange.args }) });
    let page = read(reader);
    // A read process that failed (it stopped, say) takes no more pages, and its pages are read
    // again by the database thread: an SQL error comes back from there too.
    if (reader !== main) {
      const first = page;
      const again = once(() => ((reader.failed = true), read(main)));
      page = { rows: first.rows.catch(() => again().rows), held: first.held.catch(() => again().held) };
    }
    reader.waiting++;
    const settled = () => (reader.waiting--, void fill());
    page.held.then(settled, settled);
    return { rows: asked(page.rows), held: asked(page.held) };
  };
  const ahead = new Map<number, ReturnType<typeof readPage>>();
  const window = readers.reduce((n, r) => n + r.most, 0) - 1; // pages asked past the one being compared
  let asking = 0;
  let comparing = 0;
  let finished = false;
  // One filler at a time (finding a range awaits), started when a page is done and by the loop.
  let filling: Promise<void> = Promise.resolve();
  let fillError: unknown = null;
  const fill = () => (filling = filling.then(fillPages).catch((e: unknown) => void (fillError ??= e)));
  const fillPages = async () => {
    for (;;) {
      if (finished || fillError || stop.stopped || asking > comparing + window) return;
      const free = readers.filter((r) => !r.failed && r.waiting < r.most).sort((a, b) => a.waiting - b.waiting)[0];
      if (!free) return;
      const range = await rangeAt(asking);
      if (!range || finished) return;
      ahead.set(asking++, readPage(free, range));
    }
  };
  let events = 0;
  try {
    for (let i = 0; ; i++) {
      if (stop.stopped) return null;
      comparing = i;
      await fill();
      if (fillError) throw fillError;
      firstAsked();
      const page = ahead.get(i);
      if (!page) break;
      ahead.delete(i);
      const [row] = await page.rows;
      const n = Number(row?.n ?? 0);
      const [held] = await page.held;
      if (Number(row?.ok ?? 0) !== n || !claimsMatch(row?.claims, held?.held, claimed)) return null;
      events += Number(row?.events ?? 0);
      await Promise.all([instances.add(row?.body, n), keys.add(held?.held, Number(held?.n ?? 0))]);
    }
  } finally {
    // Nothing is left running when the check returns: no page asked for, of either reader.
    finished = true;
    await filling;
    await Promise.allSettled([...ahead.values()].flatMap((p) => [p.rows, p.held]));
  }
  return { instances: { rows: instances.rows, checksum: await instances.checksum() }, instance_keys: { rows: keys.rows, checksum: await keys.checksum() }, events };
}
