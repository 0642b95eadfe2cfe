import type { Upload } from "../import/package-spool.js";
import { planRowOf } from "../import/classify.js";
import { ROWS_IN_RESPONSE, createRunRows } from "../import/run-rows.js";
import { summarizePlan } from "../import/summaries.js";
import { FORMAT_VERSION, type Plan, type PlanRow } from "../schemas/transfer.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityRef, lookupMatches, planProfile, resolveTarget } from "./import-context.js";
import { checkSpool, preparedChunks, scanPackage } from "./package-rows.js";
import { rowsEvent, rowsUrl } from "./run-rows-events.js";

/** The plan and its JSON text exactly as stored in the log (and sent to the client). */
export type PlanOutcome = { ok: true; plan: Plan; json: string } | Failure;

/** Rows per ImportRowsRecorded event of a big plan. */
const PLAN_ROWS_PER_EVENT = 10_000;

export async function planImport(deps: Deps, actor: Actor, entity: string, profileRef: string, upload: Upload): Promise<PlanOutcome> {
  const resolved = await resolveTarget(deps, entity, profileRef);
  if (!resolved.ok) return resolved;
  const target = resolved.target;
  const checked = checkSpool(upload.spool, target);
  if (!checked.ok) return checked;
  const scanned = scanPackage(checked.spool, target);
  if (!scanned.ok) return scanned;

  const planId = deps.newId();
  const meta = { ...actor, CausationId: null };
  const rows = createRunRows<PlanRow, ReturnType<typeof summarizePlan>>(scanned.scan.count, summarizePlan);
  let version = 1;
  let pendingRows: PlanRow[] = [];
  // A big plan keeps every row in the log, a slice per event, written as the plan goes.
  const record = async (force: boolean) => {
    if (!rows.truncated || pendingRows.length === 0 || (!force && pendingRows.length < PLAN_ROWS_PER_EVENT)) return;
    const outcome = await commitEvents(deps, [rowsEvent(planId, version, pendingRows)], meta);
    if (!outcome.ok) throw new Error(`recording the plan rows failed: ${outcome.reason}`);
    version++;
    pendingRows = [];
  };
  for (const prepared of preparedChunks(scanned.scan, target)) {
    const matches = await lookupMatches(deps, target, prepared);
    const chunk = prepared.map((r) => planRowOf(r, r.identity === null ? null : (matches.get(r.identity) ?? null), target.definition, target.profile));
    rows.add(chunk);
    if (rows.truncated) pendingRows.push(...chunk);
    await record(false);
  }
  await record(true);

  const plan: Plan = {
    PlanId: planId,
    FormatVersion: FORMAT_VERSION,
    GeneratedAtUtc: deps.now().toISOString(),
    Entity: entityRef(target.definition),
    Profile: planProfile(target.profile),
    Summary: rows.summary(),
    IssueCategories: rows.categories(),
    Rows: rows.head(),
    ...(rows.truncated ? { RowsComplete: false, RowsUrl: rowsUrl(planId) } : {}),
  };
  const json = JSON.stringify(plan);
  const outcome = await commitEvents(
    deps,
    [
      {
        streamId: streams.run(plan.PlanId),
        streamVersion: version,
        event: {
          type: "ImportPlanned",
          data: { RunId: plan.PlanId, EntityId: target.definition.Id, ProfileId: target.profile.Id, FileSha256: upload.sha256, Summary: plan.Summary, ResultJson: json },
        },
      },
    ],
    meta,
  );
  if (!outcome.ok) throw new Error(`recording the plan failed: ${outcome.reason}`);
  return { ok: true, plan, json };
}

export { ROWS_IN_RESPONSE };
