import type { InValue } from "@libsql/client";
import { issue } from "../domain/issues.js";
import { rowObjects, type ImportRowsRecordedData } from "../../events/import-rows-recorded.v2.js";
import { upcast } from "../../events/upcast.js";
import { RUN_RESULT_FROM, findDefinition } from "../projections/queries.js";
import { ROWS_IN_RESPONSE } from "../import/run-rows.js";
import type { Deps, Failure } from "./deps.js";
import { streams } from "../store/streams.js";

export async function eventPage(deps: Deps, q: { after: number; limit: number; streamId?: string; type?: string }) {
  const items = await deps.store.read({ after: q.after, limit: q.limit, streamId: q.streamId, type: q.type });
  return {
    Items: items.map((e) => ({
      Position: e.position,
      EventId: e.eventId,
      StreamId: e.streamId,
      StreamVersion: e.streamVersion,
      Type: e.type,
      SchemaVersion: e.schemaVersion,
      Data: e.data as Record<string, unknown>,
      Metadata: e.metadata,
      RecordedAtUtc: e.recordedAt,
    })),
    NextAfter: items.length === q.limit ? items[items.length - 1]!.position : null,
  };
}

export async function listImportRuns(deps: Deps, q: { kind?: string; entity?: string; from?: string; to?: string; limit: number }): Promise<{ ok: true; runs: unknown[] } | Failure> {
  const where: string[] = [];
  const args: InValue[] = [];
  if (q.kind) (where.push("kind = ?"), args.push(q.kind));
  if (q.entity) {
    const d = await findDefinition(deps.store, q.entity);
    if (!d) return { ok: false, status: 404, errors: [issue("entity_not_found", `No entity definition has the id or key '${q.entity.slice(0, 100)}'.`, { fieldKey: "entity" })] };
    where.push("entity_id = ?");
    args.push(d.Id);
  }
  // Stored times are UTC ISO strings, so normalized bounds compare correctly as text.
  if (q.from) (where.push("created_at >= ?"), args.push(new Date(q.from).toISOString()));
  if (q.to) (where.push("created_at < ?"), args.push(new Date(q.to).toISOString()));
  args.push(q.limit);
  const rows = await deps.store.query({
    sql: `SELECT id, kind, entity_id, profile_id, scope_id, actor, created_at, summary FROM import_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
    args,
  });
  return {
    ok: true,
    runs: rows.map((r) => ({
      RunId: String(r.id),
      Kind: String(r.kind),
      EntityId: r.entity_id === null ? null : String(r.entity_id),
      ProfileId: r.profile_id === null ? null : String(r.profile_id),
      ScopeId: r.scope_id === null ? null : Number(r.scope_id),
      Actor: String(r.actor),
      CreatedAtUtc: String(r.created_at),
      Summary: JSON.parse(String(r.summary)),
    })),
  };
}

/** The stored result text, exactly as the client first received it. */
export async function importRunResult(deps: Deps, runId: string): Promise<{ ok: true; json: string } | Failure> {
  const rows = await deps.store.query({
    sql: `${RUN_RESULT_FROM} WHERE r.id = ?`,
    args: [runId],
  });
  if (!rows[0] || rows[0].result === null) return { ok: false, status: 404, errors: [issue("not_found", `No import run '${runId.slice(0, 100)}'.`)] };
  return { ok: true, json: await withHeadRows(deps, runId, String(rows[0].result)) };
}

/**
 * A big run's result is stored without its `Rows` (storedResult): the first ROWS_IN_RESPONSE rows
 * are read back from its ImportRowsRecorded events and put where they were, before `RowsComplete`,
 * which gives the response's text again. Results stored with their rows are returned as they are.
 */
async function withHeadRows(deps: Deps, runId: string, text: string): Promise<string> {
  if (!text.includes('"RowsComplete":false')) return text;
  const result = JSON.parse(text) as Record<string, unknown>;
  if (Object.hasOwn(result, "Rows") || result.RowsComplete !== false) return text;
  const head = await importRunRows(deps, { runId, after: 0, limit: ROWS_IN_RESPONSE });
  if (!head.ok) return text;
  const whole: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === "RowsComplete") whole.Rows = head.page.Items;
    whole[key] = value;
  }
  return JSON.stringify(whole);
}

/**
 * Every result row of a run, `limit` at a time after row `after`. Big runs keep their rows in
 * ImportRowsRecorded events (found by a binary search over the run's stream); smaller runs
 * have them all in the stored result.
 */
export async function importRunRows(deps: Deps, q: { runId: string; after: number; limit: number }): Promise<{ ok: true; page: { Items: unknown[]; NextAfter: number | null } } | Failure> {
  const stream = streams.run(q.runId);
  const slices = (
    await deps.store.query({ sql: "SELECT stream_version AS v, schema_version AS s FROM events WHERE stream_id = ? AND type = 'ImportRowsRecorded' ORDER BY stream_version", args: [stream] })
  ).map((r) => ({ v: Number(r.v), s: Number(r.s) }));
  const notFound = (): Failure => ({ ok: false, status: 404, errors: [issue("not_found", `No import run '${q.runId.slice(0, 100)}' with result rows.`)] });
  const page = (rows: { RowIndex: number }[], more: boolean) => ({ ok: true as const, page: { Items: rows, NextAfter: more && rows.length ? rows[rows.length - 1]!.RowIndex : null } });

  if (slices.length === 0) {
    const stored = await importRunResult(deps, q.runId);
    if (!stored.ok) return notFound();
    const rows = (JSON.parse(stored.json) as { Rows?: unknown }).Rows;
    if (!Array.isArray(rows)) return notFound();
    const after = (rows as { RowIndex: number }[]).filter((r) => r.RowIndex > q.after);
    return page(after.slice(0, q.limit), after.length > q.limit);
  }

  const lastRowIndex = async (v: number) =>
    Number((await deps.store.query({ sql: "SELECT json_extract(data, '$.LastRowIndex') AS x FROM events WHERE stream_id = ? AND stream_version = ?", args: [stream, v] }))[0]!.x);
  // A slice's rows as objects, whatever version it was written in.
  const sliceRows = async ({ v, s }: { v: number; s: number }) => {
    const [r] = await deps.store.query({ sql: "SELECT json_extract(data, '$.Columns') AS c, json_extract(data, '$.Rows') AS x FROM events WHERE stream_id = ? AND stream_version = ?", args: [stream, v] });
    const data = { Columns: r!.c === null ? undefined : JSON.parse(String(r!.c)), Rows: JSON.parse(String(r!.x)) };
    const event = upcast("ImportRowsRecorded", s, data);
    return rowObjects(event.data as ImportRowsRecordedData) as { RowIndex: number }[];
  };
  // The first slice whose last row is past `after`.
  let lo = 0;
  let hi = slices.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await lastRowIndex(slices[mid]!.v)) > q.after) hi = mid;
    else lo = mid + 1;
  }
  const out: { RowIndex: number }[] = [];
  for (let i = lo; i < slices.length && out.length <= q.limit; i++)
    for (const r of await sliceRows(slices[i]!)) if (r.RowIndex > q.after && out.push(r) > q.limit) break;
  return page(out.slice(0, q.limit), out.length > q.limit);
}
