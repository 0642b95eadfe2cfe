import type { EventMetadata } from "../../events/metadata.js";
import type { InstanceState } from "../domain/instance.js";
import { issue } from "../domain/issues.js";
import { classifyRow, rowHasErrors, type RowDecision } from "../import/classify.js";
import type { PreparedRow } from "../import/prepare.js";
import { identityFieldsOf } from "../projections/queries.js";
import { Action, ApplyRowStatus, IdentityMode } from "../schemas/enums.js";
import type { ApplyRow } from "../schemas/transfer.js";
import { commitEvents, streams, type PendingEvent } from "./commit.js";
import type { Deps } from "./deps.js";
import { lookupMatches, type ImportTarget } from "./import-context.js";

/**
 * "Apply these prepared records to entity X with profile Y": the one write path of every import
 * (JSON apply, Hokify), so they share identity matching, Skip-when-unchanged and atomic commits.
 */

/** Rows per atomic commit: big enough to amortize the fsync, small enough to keep a batch cheap to retry. */
export const ROWS_PER_COMMIT = 2000;

type Written = { instanceId: string; rowVersion: string; changed: string[] };

/**
 * Sees each committed group of rows; `eventFor` may add an event (the rows of a big run) to the
 * same atomic commit, so a row's result is recorded exactly when its change is.
 */
export type RowsRecorder = { eventFor(rows: ApplyRow[]): PendingEvent | null; committed(rows: ApplyRow[]): void };

/**
 * Decides `rows` against the current state and commits the ready ones, ROWS_PER_COMMIT per batch.
 * Returns one ApplyRow per input row, in order. `runId` is written into each instance event.
 */
export async function applyPreparedRows(deps: Deps, target: ImportTarget, rows: PreparedRow[], meta: EventMetadata, runId: string, recorder?: RowsRecorder): Promise<ApplyRow[]> {
  const identityFields = await identityFieldsOf(deps.store, target.definition.Id);
  const out: ApplyRow[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_COMMIT) {
    const chunk = rows.slice(start, start + ROWS_PER_COMMIT);
    out.push(...(await applyChunk(deps, target, chunk, meta, runId, identityFields, recorder)));
  }
  return out;
}

/**
 * Decides a chunk against fresh state and commits all its ready rows in one batch. If the batch
 * loses a race (a stream version or identity taken meanwhile), its halves are decided and
 * committed again, down to single rows, so only the rows that really conflict fail.
 */
async function applyChunk(
  deps: Deps,
  target: ImportTarget,
  chunk: PreparedRow[],
  meta: EventMetadata,
  runId: string,
  identityFields: string[],
  recorder: RowsRecorder | undefined,
): Promise<ApplyRow[]> {
  const decisions = await decide(deps, target, chunk);
  const writes = decisions.map((d) => (rowHasErrors(d) || d.action === Action.Skip ? null : toEvent(deps, target, d, runId)));
  const pending = writes.filter((w) => w !== null);
  const rows = decisions.map((d, i) => toApplyRow(d, writes[i]?.written ?? null));
  const recorded = recorder?.eventFor(rows) ?? null;
  if (pending.length === 0 && recorded === null) {
    recorder?.committed(rows);
    return rows;
  }

  // Creates matched by a field claim their identity with a plain INSERT in the projection: a
  // concurrent twin that committed first aborts this batch (once per claim, not also as a guard).
  const outcome = await commitEvents(deps, [...pending.map((w) => w.pending), ...(recorded ? [recorded] : [])], meta, {
    identityFields: () => identityFields,
    exclusiveClaims: target.profile.IdentityMode === IdentityMode.Field ? { entityId: target.definition.Id, fieldKey: target.profile.IdentityFieldKey! } : undefined,
  });
  if (outcome.ok) {
    recorder?.committed(rows);
    return rows;
  }
  if (outcome.reason === "duplicate") throw new Error("event id collision");
  if (chunk.length === 1) {
    const d = decisions[0]!;
    const lost = [toApplyRow({ ...d, action: Action.Skip, errors: [...d.errors, issue("concurrency_conflict", "Another change to this record committed first; plan again.", { rowIndex: d.rowIndex })] }, null)];
    const event = recorder?.eventFor(lost) ?? null;
    if (event) {
      const r = await commitEvents(deps, [event], meta);
      if (!r.ok) throw new Error(`recording a lost row failed: ${r.reason}`);
    }
    recorder?.committed(lost);
    return lost;
  }
  // Split and decide each half again against fresh state: a few racing rows cost a few
  // re-decisions, not one commit per row of the whole chunk.
  const half = Math.ceil(chunk.length / 2);
  return [
    ...(await applyChunk(deps, target, chunk.slice(0, half), meta, runId, identityFields, recorder)),
    ...(await applyChunk(deps, target, chunk.slice(half), meta, runId, identityFields, recorder)),
  ];
}

async function decide(deps: Deps, target: ImportTarget, rows: PreparedRow[]): Promise<RowDecision[]> {
  const matches = await lookupMatches(deps, target, rows);
  return rows.map((r) => classifyRow(r, r.identity === null ? null : (matches.get(r.identity) ?? null), target.definition, target.profile));
}

function toEvent(deps: Deps, target: ImportTarget, d: RowDecision, runId: string): { pending: PendingEvent; written: Written } {
  const rowVersion = deps.newId();
  const changed = Object.keys(d.fields).sort();
  if (d.action === Action.Create) {
    const instanceId = d.createId ?? deps.newId();
    return {
      pending: {
        streamId: streams.instance(instanceId),
        streamVersion: 1,
        event: { type: "InstanceCreated", data: { InstanceId: instanceId, EntityId: target.definition.Id, Fields: d.fields, RowVersion: rowVersion, RunId: runId } },
      },
      written: { instanceId, rowVersion, changed },
    };
  }
  const current = d.matched as InstanceState;
  return {
    pending: {
      streamId: streams.instance(current.Id),
      streamVersion: current.Version + 1,
      event: { type: "InstanceUpdated", data: { InstanceId: current.Id, EntityId: target.definition.Id, Changes: d.fields, RowVersion: rowVersion, RunId: runId } },
    },
    written: { instanceId: current.Id, rowVersion, changed },
  };
}

function toApplyRow(d: RowDecision, written: Written | null): ApplyRow {
  const failed = rowHasErrors(d);
  return {
    RowIndex: d.rowIndex,
    IdentityValue: d.identityValue,
    MatchedInstanceId: d.matched?.Id ?? null,
    InstanceId: written?.instanceId ?? (failed ? null : (d.matched?.Id ?? null)),
    RowVersion: written?.rowVersion ?? (failed ? null : (d.matched?.RowVersion ?? null)),
    ChangedFieldKeys: written?.changed ?? [],
    Action: d.action,
    Status: failed ? ApplyRowStatus.Failed : d.warnings.length > 0 ? ApplyRowStatus.AppliedWithWarnings : ApplyRowStatus.Applied,
    Errors: d.errors,
    Warnings: d.warnings,
  };
}
