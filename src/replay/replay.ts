import { PROJECTION_TABLES } from "../projections/project.js";
import type { EventStore, Stmt } from "../store/event-store.js";
import { CHECKSUM_ORDER, tableChecksum, tableColumns } from "./checksum.js";
import { dropReplayTables, logMovedPast, projectionDdl, rebuildProjections, replayName, swapIn } from "./rebuild.js";
import { verifyProjections } from "./verify.js";

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

/**
 * Replays every projection from position 0 and compares a SHA-256 per projection with the live
 * tables. The live instances and identity index are first checked in place against the log
 * (verify.ts: fast, nothing big written); if that declines or finds a difference, every projection
 * is rebuilt into fresh `replay_*` tables with the projection code the live commits use
 * (rebuild.ts) and the checksums of both copies are compared. With `swap` (always a rebuild), a
 * verified rebuild replaces the live tables in one atomic batch. `rebuild` forces the rebuild.
 */
export async function replayProjections(store: EventStore, opts: { swap?: boolean; rebuild?: boolean; now?: () => number } = {}): Promise<ReplayReport> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const ddl = await projectionDdl(store);
  // A swap needs the rebuilt tables; otherwise the live ones are verified in place when they can be.
  const verified = opts.swap || opts.rebuild ? null : await verifyProjections(store, ddl);
  if (verified) {
    await refuseDifferenceMadeMeanwhile(store, verified.projections, verified.last, false);
    return report(verified.events, verified.last, verified.projections, false, now() - started);
  }

  const { events, last } = await rebuildProjections(store, ddl);
  const q = (s: Stmt) => store.query(s);
  const projections: ProjectionReport[] = [];
  for (const t of PROJECTION_TABLES) {
    const columns = await tableColumns(q, t);
    // One after the other: concurrent queries would open pooled connections without the service's pragmas.
    const live = await tableChecksum(q, t, CHECKSUM_ORDER[t]!, columns, t);
    const rebuilt = await tableChecksum(q, replayName(t), CHECKSUM_ORDER[t]!, columns, t);
    projections.push({ Projection: t, LiveRows: live.rows, RebuiltRows: rebuilt.rows, LiveChecksum: live.checksum, RebuiltChecksum: rebuilt.checksum, Equal: live.checksum === rebuilt.checksum });
  }
  const equal = projections.every((p) => p.Equal);
  const swapped = opts.swap === true && equal && (await swapIn(store, ddl, last));
  if (!swapped) await dropReplayTables(store);
  if (opts.swap && equal && !swapped) throw new LogMovedError(last, true);
  await refuseDifferenceMadeMeanwhile(store, projections, last, opts.swap === true);
  return report(events, last, projections, swapped, now() - started);
}

/**
 * The log moved on past `last` (the position the replay read up to) while the replay ran: a
 * verified rebuild was not swapped in, or a difference could be the commits made meanwhile.
 */
export class LogMovedError extends Error {
  constructor(
    readonly last: number,
    swap: boolean,
  ) {
    super(
      `The log changed while the replay ran (events were appended after position ${last}), so ${swap ? "nothing was swapped" : "the live tables could not be compared with it"}. Run the replay again when no imports are running.`,
    );
    this.name = "LogMovedError";
  }
}

/** A difference found while commits went on says nothing about the live state: it may be theirs. */
async function refuseDifferenceMadeMeanwhile(store: EventStore, projections: ProjectionReport[], last: number, swap: boolean): Promise<void> {
  if (!projections.every((p) => p.Equal) && (await logMovedPast(store, last))) throw new LogMovedError(last, swap);
}

function report(events: number, last: number, projections: ProjectionReport[], swapped: boolean, ms: number): ReplayReport {
  const durationMs = Math.max(1, Math.round(ms));
  const equal = projections.every((p) => p.Equal);
  return { Events: events, LastPosition: last, DurationMs: durationMs, EventsPerSecond: Math.round((events * 1000) / durationMs), Equal: equal, Swapped: swapped, Projections: projections };
}
