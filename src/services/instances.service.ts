import { upcast } from "../../events/upcast.js";
import { evolveInstance, type InstanceEvent, type InstanceState } from "../domain/instance.js";
import { issue } from "../domain/issues.js";
import { findDefinition, getInstance, listInstances } from "../projections/queries.js";
import type { EntityDefinition } from "../schemas/definitions.js";
import type { Instance } from "../schemas/instances.js";
import type { StoredEvent } from "../store/event-store.js";
import { streams } from "./commit.js";
import type { Deps, Failure } from "./deps.js";
import { entityNotFound } from "./definitions.service.js";

export const toInstanceView = (s: InstanceState, d: EntityDefinition): Instance => ({
  Id: s.Id,
  EntityKey: d.Key,
  Fields: s.Fields,
  RowVersion: s.RowVersion,
  Version: s.Version,
  CreatedAtUtc: s.CreatedAtUtc,
  UpdatedAtUtc: s.UpdatedAtUtc,
  Deleted: s.Deleted,
});

const encodeCursor = (id: string) => btoa(id).replace(/=+$/, "");
function decodeCursor(cursor: string): string | null {
  try {
    return atob(cursor);
  } catch {
    return null;
  }
}

export async function pageInstances(deps: Deps, entity: string, limit: number, cursor: string | undefined) {
  const definition = await findDefinition(deps.store, entity);
  if (!definition) return entityNotFound(entity);
  const after = cursor ? decodeCursor(cursor) : null;
  if (cursor && after === null) return { ok: false as const, status: 400 as const, errors: [issue("invalid_request", "cursor is not one this service handed out.", { fieldKey: "cursor" })] };
  const rows = await listInstances(deps.store, definition.Id, limit + 1, after);
  const items = rows.slice(0, limit);
  return {
    ok: true as const,
    page: { Items: items.map((s) => toInstanceView(s, definition)), NextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.Id) : null },
  };
}

const instanceNotFound = (id: string): Failure => ({ ok: false, status: 404, errors: [issue("not_found", `No instance '${id.slice(0, 100)}' in this entity.`)] });

/** Current state from the projection, or — with asOf — the fold of the instance's events up to that point. */
export async function readInstance(deps: Deps, entity: string, id: string, asOf: string | undefined) {
  const definition = await findDefinition(deps.store, entity);
  if (!definition) return entityNotFound(entity);
  if (asOf === undefined) {
    const state = await getInstance(deps.store, definition.Id, id);
    return state ? { ok: true as const, instance: toInstanceView(state, definition) } : instanceNotFound(id);
  }
  const limit = parseAsOf(asOf);
  if (!limit) return { ok: false as const, status: 400 as const, errors: [issue("invalid_request", "asOf must be an event position (integer) or an ISO 8601 time.", { fieldKey: "asOf" })] };
  const events = (await deps.store.readStream(streams.instance(id))).filter((e) => (limit.position !== undefined ? e.position <= limit.position : e.recordedAt <= limit.time!));
  const state = foldInstance(events);
  if (!state || state.EntityId !== definition.Id) return instanceNotFound(id);
  return { ok: true as const, instance: toInstanceView(state, definition) };
}

export async function instanceHistory(deps: Deps, entity: string, id: string) {
  const definition = await findDefinition(deps.store, entity);
  if (!definition) return entityNotFound(entity);
  const events = await deps.store.readStream(streams.instance(id));
  const first = events[0];
  if (!first || (first.data as { EntityId?: string }).EntityId !== definition.Id) return instanceNotFound(id);
  return {
    ok: true as const,
    events: events.map((e) => ({
      Position: e.position,
      EventId: e.eventId,
      StreamVersion: e.streamVersion,
      Type: e.type,
      SchemaVersion: e.schemaVersion,
      Data: e.data as Record<string, unknown>,
      Metadata: e.metadata,
      RecordedAtUtc: e.recordedAt,
    })),
  };
}

export function foldInstance(events: StoredEvent[]): InstanceState | null {
  let state: InstanceState | null = null;
  for (const e of events) state = evolveInstance(state, upcast(e.type, e.schemaVersion, e.data) as InstanceEvent, e.recordedAt);
  return state;
}

function parseAsOf(raw: string): { position?: number; time?: string } | null {
  if (/^\d+$/.test(raw)) return { position: Number(raw) };
  const t = new Date(raw);
  return /^\d{4}-\d{2}-\d{2}/.test(raw) && !Number.isNaN(t.getTime()) ? { time: t.toISOString() } : null;
}
