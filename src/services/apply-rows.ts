import type { EventMetadata } from "../../events/metadata.js";
import type { InstanceState } from "../domain/instance.js";
import { issue } from "../domain/issues.js";
import { classifyRow, rowHasErrors, type RowDecision } from "../import/classify.js";
import type { PreparedRow } from "../import/prepare.js";
import { identityFieldsGuard, identityFieldsOf } from "../projections/queries.js";
import { Action, ApplyRowStatus, IdentityMode } from "../schemas/enums.js";
import type { ApplyRow } from "../schemas/transfer.js";
import { buildCommit, commitEvents, streams, type PendingEvent } from "./commit.js";
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
export type RowsRecorder = {
  /** `ahead`: how many rows events are built but not yet committed before this one (their versions come first). */
  eventFor(rows: ApplyRow[], ahead?: number): PendingEvent | null;
  committed(rows: ApplyRow[]): void;
};

/**
 * Decides `rows` against the current state and commits the ready ones, ROWS_PER_COMMIT per batch.
 * Returns one ApplyRow per input row, in order. `runId` is written into each instance event.
 */
export async function applyPreparedRows(deps: Deps, target: ImportTarget, rows: PreparedRow[], meta: EventMetadata, runId: string, recorder?: RowsRecorder): Promise<ApplyRow[]> {
  const out: ApplyRow[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_COMMIT) {
    const chunk = rows.slice(start, start + ROWS_PER_COMMIT);
    out.push(...(await applyChunk(deps, target, chunk, meta, runId, recorder)));
  }
  return out;
}

/**
 * Applies a file's chunks in order with one commit in flight: while the database writes chunk k,
 * chunk k+1 is looked up, decided and built into its commit (events, statements, serialized).
 * Commits stay strictly ordered, each one atomic batch, and a row's result is recorded with its
 * change exactly as in applyChunk.
 *
 * Chunk k+1's lookup is sent after chunk k's commit, and may or may not see it (with the database
 * thread, reads run beside the writer). Either decides the same: the rows of one file have distinct
 * identities (a repeated identity makes every row that has it an error, which writes nothing), so
 * chunk k's commit never creates or changes what a row of chunk k+1 matches; other writers are
 * caught at commit time as always. Chunk k+1's commit is built assuming chunk k's succeeds (its
 * rows event takes the next version). A chunk whose commit fails takes applyChunk's path (split
 * and decided again against fresh state), and the chunk built meanwhile is thrown away and
 * decided and built again after it.
 *
 * `lookup` may answer from lookups sent earlier (the apply's first pass): a change committed since
 * is caught at commit time like any other writer's, and the chunks after a lost commit are looked
 * up again here.
 */
export async function applyChunksPipelined(
  deps: Deps,
  target: ImportTarget,
  chunks: Iterable<PreparedRow[]>,
  meta: EventMetadata,
  runId: string,
  recorder: RowsRecorder,
  lookup: (chunk: PreparedRow[]) => Promise<Map<string, InstanceState>> = (chunk) => lookupMatches(deps, target, chunk),
): Promise<void> {
  let fresh = false;
  // The identity fields are read with each chunk's lookup, as applyPreparedRows reads them per call.
  const read = (chunk: PreparedRow[]) =>
    Promise.all([fresh ? lookupMatches(deps, target, chunk) : lookup(chunk), identityFieldsOf(deps.store, target.definition.Id)]);
  /** Decides a chunk and builds its commit; `ahead`: rows events of commits still in flight before it. */
  const build = (chunk: PreparedRow[], [matches, identityFields]: [Map<string, InstanceState>, string[]], ahead: number) => {
    const { rows, pending } = decideChunk(deps, target, chunk, matches, runId);
    const recorded = recorder.eventFor(rows, ahead);
    if (recorded) pending.push(recorded);
    const commit = pending.length ? buildCommit(deps, pending, meta, commitOptions(target, identityFields)) : null;
    if (commit) deps.store.prepare?.(commit);
    return { chunk, rows, commit, recorded: recorded !== null };
  };
  type Built = ReturnType<typeof build>;
  // Rows events in commits still being written: the next one built takes the versions after
  // theirs. Counted as they start and end, not assumed from the order of the loop: a lookup that
  // awaits something slower than the commit before it finds that commit already in.
  let recordingAhead = 0;
  /** Writes a built chunk; resolves true when it is in (or had nothing to write). */
  const write = async ({ rows, commit, recorded }: Built): Promise<boolean> => {
    if (!commit) return (recorder.committed(rows), true);
    if (recorded) recordingAhead++;
    let outcome: Awaited<ReturnType<typeof deps.store.append>>;
    try {
      outcome = await deps.store.append(commit);
    } finally {
      // In the same step as committed() below, which moves the run's version on past this one.
      if (recorded) recordingAhead--;
    }
    if (outcome.ok) recorder.committed(rows);
    else if (outcome.reason === "duplicate") throw new Error("event id collision");
    return outcome.ok;
  };

  const next = chunks[Symbol.iterator]();
  let ready: Built | null = null;
  for (;;) {
    // The built commit goes first: the database starts on it before this thread takes the next
    // chunk from the file and looks it up (a lookup on this thread's connection runs in place).
    const writing = ready ? write(ready) : null;
    // Awaited below; handled now so a failure while the lookup is awaited is not an unhandled rejection.
    writing?.catch(() => undefined);
    let chunk: IteratorResult<PreparedRow[]>;
    try {
      chunk = next.next();
    } catch (error) {
      await writing?.catch(() => undefined); // nothing is left writing behind a failed apply
      throw error;
    }
    if (chunk.done) {
      if (ready && !(await writing!)) await applyChunk(deps, target, ready.chunk, meta, runId, recorder);
      return;
    }
    const matches = await read(chunk.value);
    let built = build(chunk.value, matches, recordingAhead);
    if (writing && !(await writing)) {
      fresh = true;
      await applyChunk(deps, target, ready!.chunk, meta, runId, recorder);
      built = build(chunk.value, await read(chunk.value), recordingAhead);
    }
    ready = built;
  }
}

const commitOptions = (target: ImportTarget, identityFields: string[]) => ({
  identityFields: () => identityFields,
  // The claims are built for these identity fields: a profile adding one meanwhile aborts the
  // commit, which is then decided again with the new field (applyChunk reads them afresh).
  guards: [identityFieldsGuard(target.definition.Id, identityFields)],
  // Creates matched by a field claim their identity with a plain INSERT in the projection: a
  // concurrent twin that committed first aborts this batch (once per claim, not also as a guard).
  exclusiveClaims: target.profile.IdentityMode === IdentityMode.Field ? { entityId: target.definition.Id, fieldKey: target.profile.IdentityFieldKey! } : undefined,
});

/**
 * Decides a chunk against fresh state (matches and identity fields) and commits all its ready rows
 * in one batch. If the batch loses a race (a stream version or identity taken meanwhile, the
 * identity fields changed), its halves are decided and committed again, down to single rows, so
 * only the rows that really conflict fail.
 */
async function applyChunk(deps: Deps, target: ImportTarget, chunk: PreparedRow[], meta: EventMetadata, runId: string, recorder: RowsRecorder | undefined): Promise<ApplyRow[]> {
  const [matches, identityFields] = await Promise.all([lookupMatches(deps, target, chunk), identityFieldsOf(deps.store, target.definition.Id)]);
  const { decisions, rows, pending } = decideChunk(deps, target, chunk, matches, runId);
  const recorded = recorder?.eventFor(rows) ?? null;
  if (recorded) pending.push(recorded);
  if (pending.length === 0) {
    recorder?.committed(rows);
    return rows;
  }

  const outcome = await commitEvents(deps, pending, meta, commitOptions(target, identityFields));
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
    ...(await applyChunk(deps, target, chunk.slice(0, half), meta, runId, recorder)),
    ...(await applyChunk(deps, target, chunk.slice(half), meta, runId, recorder)),
  ];
}

/** A chunk decided against `matches`: each row's decision and result, and the events of the ready rows. */
function decideChunk(deps: Deps, target: ImportTarget, chunk: PreparedRow[], matches: Map<string, InstanceState>, runId: string) {
  const decisions = chunk.map((r) => classifyRow(r, r.identity === null ? null : (matches.get(r.identity) ?? null), target.definition, target.profile));
  const writes = decisions.map((d) => (rowHasErrors(d) || d.action === Action.Skip ? null : toEvent(deps, target, d, runId)));
  const rows = decisions.map((d, i) => toApplyRow(d, writes[i]?.written ?? null));
  const pending: PendingEvent[] = writes.filter((w) => w !== null).map((w) => w.pending);
  return { decisions, rows, pending };
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
