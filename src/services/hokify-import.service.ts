import type { InstanceState } from "../domain/instance.js";
import { normalizeIdentity } from "../domain/keys.js";
import type { HokifyClient } from "../hokify/client.js";
import { isHokifyError } from "../hokify/errors.js";
import { HOKIFY_ID_FIELD, keepNewest, mapRelations, maxUpdatedAt, type MappedRecord } from "../hokify/mapping.js";
import { createTally, fromHokifyError, summaryOf } from "../hokify/result.js";
import { liveInstancesWithField } from "../projections/queries.js";
import type { ExportImportResult } from "../schemas/export-import.js";
import type { Actor, Deps } from "./deps.js";
import { softDeleteInstances } from "./delete-instances.js";
import { acquireScopeLease, releaseScopeLease, renewScopeLease } from "./hokify-lease.js";
import { applyBatch, emptyRunMemory, type BatchContext } from "./hokify-records.js";
import { lastHighWaterMark, recordHokifyRun } from "./hokify-runs.js";
import { ensureHokifyTargets } from "./hokify-targets.js";

export type HokifyImportMode = "Incremental" | "Full";

export type HokifyRunRequest = {
  scopeId: number;
  mode: HokifyImportMode;
  /** Incremental only: the window's start; null means the scope's high-water mark. */
  from: Date | null;
  trigger: "request" | "schedule";
  actor: Actor;
  /** Origin DownloadUrl is built on; "" gives a relative URL. */
  baseUrl: string;
};

export type HokifyRunOutcome = { ok: true; runId: string; result: ExportImportResult } | { ok: false; holder: string };
export type HokifyAccess = { client: HokifyClient; pageSize: number };

const EPOCH = new Date(0);
const PAGE = 1000;

export const reportUrl = (baseUrl: string, runId: string) => `${baseUrl}/api/ExportImport/runs/${encodeURIComponent(runId)}/report`;

/**
 * Runs one polling import of a scope, unless another run of that scope holds its lease (then
 * `ok: false` with the holder's run id). Hokify failures end the run early but still record it
 * and answer its partial result; any other fault propagates.
 */
export async function runHokifyImport(deps: Deps, hokify: HokifyAccess, req: HokifyRunRequest): Promise<HokifyRunOutcome> {
  const runId = deps.newId();
  const lease = await acquireScopeLease(deps.store, req.scopeId, runId, deps.now());
  if (!lease.ok) return { ok: false, holder: lease.holder };
  try {
    return { ok: true, runId, result: await pollingRun(deps, hokify, req, runId) };
  } finally {
    // A lease that cannot be released expires by itself; the run's own outcome matters more.
    await releaseScopeLease(deps.store, req.scopeId, runId).catch(() => undefined);
  }
}

async function pollingRun(deps: Deps, hokify: HokifyAccess, req: HokifyRunRequest, runId: string): Promise<ExportImportResult> {
  const started = deps.now();
  const targets = await ensureHokifyTargets(deps, req.actor);
  const previous = await lastHighWaterMark(deps, req.scopeId);
  const start = req.mode === "Full" ? EPOCH : (req.from ?? previous ?? EPOCH);
  const end = started;
  const ctx: BatchContext = { deps, targets, meta: { ...req.actor, CausationId: runId }, runId, tally: createTally(), memory: emptyRunMemory() };

  const seen = new Set<string>();
  // Candidates wait for the end of the run: a later page may hold a newer snapshot of the same user,
  // and writing each in turn would flip their fields back and forth (one event per flip).
  const candidates = new Map<string, MappedRecord>();
  let fetched = 0;
  let pages = 0;
  let mark: number | null = null;
  let succeeded = true;
  try {
    // An empty or inverted window (a unixSecondsFrom in the future) asks Hokify nothing.
    if (start < end)
      for await (const page of hokify.client.pages({ startTime: start, endTime: end, pageSize: hokify.pageSize })) {
        pages++;
        fetched += page.applicationCount;
        const batch = mapRelations(page.relations, req.scopeId);
        for (const a of batch.Application) seen.add(normalizeIdentity(a.hokifyId) ?? a.hokifyId);
        const pageMark = maxUpdatedAt(page.relations);
        if (pageMark !== null) mark = Math.max(mark ?? pageMark, pageMark);
        await applyBatch(ctx, { Job: batch.Job, Application: batch.Application });
        for (const c of batch.Candidate) keepNewest(candidates, c);
        await renewScopeLease(deps.store, req.scopeId, runId, deps.now());
      }
  } catch (e) {
    if (!isHokifyError(e)) throw e;
    succeeded = false;
    ctx.tally.addRunError("Hokify", fromHokifyError(e));
  }
  await applyBatch(ctx, { Candidate: [...candidates.values()] });
  // Only a complete listing proves an application is gone; after a failure nothing is deleted.
  if (req.mode === "Full" && succeeded) await deleteMissing(ctx, req.scopeId, seen, end);

  // The mark moves only when the window reached back to it: a catch-up from a later
  // unixSecondsFrom must not make the next incremental run skip what lies before it.
  const coversPrevious = previous === null ? start.getTime() === 0 : start <= previous;
  const highWater = coversPrevious && mark !== null ? new Date(mark) : previous;

  const finished = deps.now();
  const result = ctx.tally.result({ Fetched: fetched, Pages: pages, DurationMs: Math.max(0, finished.getTime() - started.getTime()) }, reportUrl(req.baseUrl, runId));
  await recordHokifyRun(deps, req.actor, {
    RunId: runId,
    ScopeId: req.scopeId,
    ImportMode: req.mode,
    Trigger: req.trigger,
    DeliveryId: null,
    WindowStartUtc: start.toISOString(),
    WindowEndUtc: end.toISOString(),
    HighWaterMarkUtc: highWater?.toISOString() ?? null,
    Succeeded: succeeded,
    StartedAtUtc: started.toISOString(),
    FinishedAtUtc: finished.toISOString(),
    Summary: summaryOf(result),
    ResultJson: JSON.stringify(result),
    Records: ctx.tally.records,
  });
  return result;
}

/**
 * Full mode: soft-deletes the scope's applications that Hokify did not list. One stored with an
 * updatedAt at or after the window's end came from a webhook during the run and stays.
 */
async function deleteMissing(ctx: BatchContext, scopeId: number, seen: Set<string>, windowEnd: Date): Promise<void> {
  const { deps } = ctx;
  const definition = ctx.targets.Application.definition;
  const missing = (inst: InstanceState) => {
    const id = normalizeIdentity(inst.Fields[HOKIFY_ID_FIELD]);
    const changedAt = Date.parse(String(inst.Fields.updated_at ?? ""));
    return id !== null && !seen.has(id) && !(changedAt >= windowEnd.getTime());
  };
  const gone: InstanceState[] = [];
  for (let after: string | null = null; ; ) {
    const page = await liveInstancesWithField(deps.store, definition.Id, "scope_id", scopeId, PAGE, after);
    gone.push(...page.filter(missing));
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.Id;
  }
  const outcomes = await softDeleteInstances(deps, definition, gone, ctx.meta, ctx.runId, "Hokify no longer lists this application (Full import).", missing);
  for (const o of outcomes)
    ctx.tally.add({ Entity: "Application", HokifyId: String(o.instance.Fields[HOKIFY_ID_FIELD]), InstanceId: o.instance.Id, Action: o.deleted ? "Deleted" : "Unchanged", Message: o.message });
}
