import { normalizeIdentity } from "../domain/keys.js";
import { HOKIFY_ID_FIELD, mapRelations } from "../hokify/mapping.js";
import { createTally, summaryOf } from "../hokify/result.js";
import type { HokifyWebhookPayload } from "../hokify/schemas.js";
import { instancesByIdentity } from "../projections/queries.js";
import type { ExportImportResult } from "../schemas/export-import.js";
import type { Actor, Deps } from "./deps.js";
import { softDeleteInstances } from "./delete-instances.js";
import { reportUrl } from "./hokify-import.service.js";
import { applyBatch, emptyRunMemory, type BatchContext } from "./hokify-records.js";
import { recordHokifyRun } from "./hokify-runs.js";
import { ensureHokifyTargets } from "./hokify-targets.js";

/**
 * Imports one webhook delivery (one application) as its own run. It takes no scope lease: it
 * writes one record through the same optimistic, per-record atomic commits as a polling run, and
 * a concurrent Full run leaves applications changed after its window alone.
 */
export async function importWebhookDelivery(deps: Deps, actor: Actor, payload: HokifyWebhookPayload, runId: string, baseUrl: string): Promise<ExportImportResult> {
  const started = deps.now();
  const targets = await ensureHokifyTargets(deps, actor);
  const ctx: BatchContext = { deps, targets, meta: { ...actor, CausationId: runId }, runId, tally: createTally(), memory: emptyRunMemory() };

  if (payload.event === "application.deleted") await deleteApplication(ctx, payload);
  else await applyBatch(ctx, mapRelations([payload.data], payload.scopeId));

  const finished = deps.now();
  const result = ctx.tally.result({ Fetched: 1, Pages: 0, DurationMs: Math.max(0, finished.getTime() - started.getTime()) }, reportUrl(baseUrl, runId));
  await recordHokifyRun(deps, actor, {
    RunId: runId,
    ScopeId: payload.scopeId,
    ImportMode: "Webhook",
    Trigger: "webhook",
    DeliveryId: payload.deliveryId,
    WindowStartUtc: null,
    WindowEndUtc: null,
    HighWaterMarkUtc: null,
    Succeeded: true,
    StartedAtUtc: started.toISOString(),
    FinishedAtUtc: finished.toISOString(),
    Summary: summaryOf(result),
    ResultJson: JSON.stringify(result),
    Records: ctx.tally.records,
  });
  return result;
}

async function deleteApplication(ctx: BatchContext, payload: HokifyWebhookPayload): Promise<void> {
  const hokifyId = payload.data.applications[0]!._id;
  const identity = normalizeIdentity(hokifyId) ?? hokifyId;
  const definition = ctx.targets.Application.definition;
  const current = (await instancesByIdentity(ctx.deps.store, definition.Id, HOKIFY_ID_FIELD, [identity])).get(identity);
  if (!current || current.Deleted) {
    ctx.tally.add({ Entity: "Application", HokifyId: hokifyId, InstanceId: current?.Id ?? null, Action: "Unchanged", Message: "Not in the workspace; nothing to delete." });
    return;
  }
  const [outcome] = await softDeleteInstances(ctx.deps, definition, [current], ctx.meta, ctx.runId, `Deleted in Hokify (webhook ${payload.event}).`);
  ctx.tally.add({ Entity: "Application", HokifyId: hokifyId, InstanceId: current.Id, Action: outcome?.deleted ? "Deleted" : "Failed", Message: outcome?.message ?? null });
}
