import type { DomainEvent } from "../../events/catalog.js";
import type { EventMetadata } from "../../events/metadata.js";
import { projectEvents } from "../projections/project.js";
import type { AppendOutcome, NewEvent, Stmt } from "../store/event-store.js";
import type { Deps } from "./deps.js";

export type PendingEvent = { streamId: string; streamVersion: number; event: DomainEvent };

/**
 * Turns decided events into one atomic commit: the events, the projection rows they change, and
 * optional guards. Returns the store's outcome; nothing is half-written either way.
 */
export async function commitEvents(
  deps: Deps,
  pending: PendingEvent[],
  metadata: EventMetadata,
  opts: {
    identityFields?: (entityId: string) => readonly string[];
    /** New instances claim this identity with a plain INSERT (see ProjectionContext.exclusiveClaims). */
    exclusiveClaims?: { entityId: string; fieldKey: string };
    guards?: Stmt[];
    extra?: Stmt[];
  } = {},
): Promise<AppendOutcome & { recordedAt: string }> {
  const recordedAt = deps.now().toISOString();
  const events: NewEvent[] = pending.map((p) => ({
    eventId: deps.newId(),
    streamId: p.streamId,
    streamVersion: p.streamVersion,
    type: p.event.type,
    data: p.event.data,
    metadata,
  }));
  const projections = [
    ...projectEvents(pending, { recordedAt, actor: metadata.Actor, identityFields: opts.identityFields ?? (() => []), exclusiveClaims: opts.exclusiveClaims, fromLog: true }),
    ...(opts.extra ?? []),
  ];
  const outcome = await deps.store.append({ events, projections, guards: opts.guards, recordedAt });
  return { ...outcome, recordedAt };
}

export { streams } from "../store/streams.js";
