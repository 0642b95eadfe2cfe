import type { InValue } from "@libsql/client";
import { issue } from "../domain/issues.js";
import { RUN_RESULT_FROM, findDefinition } from "../projections/queries.js";
import type { Deps, Failure } from "./deps.js";

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
  return { ok: true, json: String(rows[0].result) };
}
