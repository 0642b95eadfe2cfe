import type { EventMetadata } from "../../events/metadata.js";
import { normalizeIdentity } from "../domain/keys.js";
import { HOKIFY_ENTITY_TYPES, HOKIFY_ID_FIELD, type HokifyEntityType, type MappedBatch, type MappedRecord } from "../hokify/mapping.js";
import type { RunTally } from "../hokify/result.js";
import { instancesByIdentity } from "../projections/queries.js";
import { Action, ApplyRowStatus } from "../schemas/enums.js";
import type { RunReportRecord } from "../schemas/export-import.js";
import type { ApplyRow } from "../schemas/transfer.js";
import { applyPreparedRows } from "./apply-rows.js";
import type { Deps } from "./deps.js";
import type { HokifyTargets } from "./hokify-targets.js";
import { prepareAll, type ImportTarget } from "./import-context.js";

/** What a run already wrote, per entity: identity → the fields it wrote. */
export type RunMemory = Record<HokifyEntityType, Map<string, string>>;
export const emptyRunMemory = (): RunMemory => ({ Candidate: new Map(), Job: new Map(), Application: new Map() });

export type BatchContext = { deps: Deps; targets: HokifyTargets; meta: EventMetadata; runId: string; tally: RunTally; memory: RunMemory };

/**
 * Writes the entities present in a mapped batch through the JSON apply's pipeline (prepare →
 * classify → atomic commits). Links between them are Hokify ids in plain fields, so the order
 * does not matter. A record this run already wrote with the same values (the same job on a later
 * page) is not written or counted again.
 */
export async function applyBatch(ctx: BatchContext, batch: Partial<MappedBatch>): Promise<void> {
  for (const type of HOKIFY_ENTITY_TYPES) {
    const memory = ctx.memory[type];
    if (!batch[type]) continue;
    let records = batch[type].filter((r) => memory.get(identityOf(r)) !== JSON.stringify(r.fields));
    if (type === "Application") records = await dropOlderSnapshots(ctx, ctx.targets.Application, records);
    if (records.length === 0) continue;

    const target = ctx.targets[type];
    const rows = prepareAll(records.map((r) => ({ Fields: r.fields })), target);
    const applied = await applyPreparedRows(ctx.deps, target, rows, ctx.meta, ctx.runId);
    for (const row of applied) {
      const record = records[row.RowIndex - 1]!;
      const outcome = reportRecord(type, record, row);
      ctx.tally.add(outcome);
      if (outcome.Action !== "Failed") memory.set(identityOf(record), JSON.stringify(record.fields));
    }
  }
}

const identityOf = (r: MappedRecord) => normalizeIdentity(r.hokifyId) ?? r.hokifyId;

/**
 * Webhooks and polling overlap, so an application can arrive after a newer state of it was
 * stored; the newer one stays (counted Unchanged, with the reason in the report).
 */
async function dropOlderSnapshots(ctx: BatchContext, target: ImportTarget, records: MappedRecord[]): Promise<MappedRecord[]> {
  if (records.length === 0) return records;
  const current = await instancesByIdentity(ctx.deps.store, target.definition.Id, HOKIFY_ID_FIELD, records.map(identityOf));
  return records.filter((r) => {
    const stored = current.get(identityOf(r));
    const storedAt = Date.parse(String(stored?.Fields.updated_at ?? ""));
    const incomingAt = Date.parse(String(r.fields.updated_at ?? ""));
    if (!stored || Number.isNaN(storedAt) || Number.isNaN(incomingAt) || incomingAt >= storedAt) return true;
    ctx.tally.add({ Entity: "Application", HokifyId: r.hokifyId, InstanceId: stored.Id, Action: "Unchanged", Message: `A newer state (updatedAt ${stored.Fields.updated_at}) is already stored.` });
    return false;
  });
}

function reportRecord(type: HokifyEntityType, record: MappedRecord, row: ApplyRow): RunReportRecord {
  const failed = row.Status === ApplyRowStatus.Failed;
  const issues = failed ? row.Errors : row.Warnings;
  return {
    Entity: type,
    HokifyId: record.hokifyId,
    InstanceId: row.InstanceId ?? row.MatchedInstanceId,
    Action: failed ? "Failed" : row.Action === Action.Create ? "Created" : row.Action === Action.Update ? "Updated" : "Unchanged",
    Message: issues.length ? issues.map((i) => i.Message).join(" ") : null,
  };
}
