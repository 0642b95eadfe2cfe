import type { DomainEvent } from "../../events/catalog.js";
import type { EventMetadata } from "../../events/metadata.js";
import { projectEvents } from "../projections/project.js";
import type { AppendOutcome, Commit, NewEvent, Stmt } from "../store/event-store.js";
import type { Deps } from "./deps.js";

export type PendingEvent = { streamId: string; streamVersion: number; event: DomainEvent };

/**
 * Turns decided events into one atomic commit: the events, the projection rows they change, and
 * optional guards. Returns the store's outcome; nothing is half-written either way.
 */
export async function commitEvents(deps: Deps, pending: PendingEvent[], metadata: EventMetadata, opts: CommitOptions = {}): Promise<AppendOutcome & { recordedAt: string }> {
  const commit = buildCommit(deps, pending, metadata, opts);
  const outcome = await deps.store.append(commit);
  return { ...outcome, recordedAt: commit.recordedAt };
}

export type CommitOptions = {
  identityFields?: (entityId: string) => readonly string[];
  /** New instances claim this identity with a plain INSERT (see ProjectionContext.exclusiveClaims). */
  exclusiveClaims?: { entityId: string; fieldKey: string };
  guards?: Stmt[];
  extra?: Stmt[];
};

/** The commit commitEvents appends: event ids, the projections' statements, the guards. */
export function buildCommit(deps: Deps, pending: PendingEvent[], metadata: EventMetadata, opts: CommitOptions = {}): Commit {
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
  return { events, projections, guards: opts.guards, recordedAt };
}

export { streams } from "../store/streams.js";
