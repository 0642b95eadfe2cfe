import { classifyRow } from "../import/classify.js";
import { countIssueCategories, summarizePlan, toPlanRow } from "../import/summaries.js";
import { FORMAT_VERSION, type Plan } from "../schemas/transfer.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityRef, lookupMatches, planProfile, prepareAll, readPackage, resolveTarget } from "./import-context.js";
import { sha256Hex } from "../support/sha256.js";

/** The plan and its JSON text exactly as stored in the log (and sent to the client). */
export type PlanOutcome = { ok: true; plan: Plan; json: string } | Failure;

export async function planImport(deps: Deps, actor: Actor, entity: string, profileRef: string, fileText: string): Promise<PlanOutcome> {
  const resolved = await resolveTarget(deps, entity, profileRef);
  if (!resolved.ok) return resolved;
  const target = resolved.target;
  const read = readPackage(fileText, target);
  if (!read.ok) return read;

  const prepared = prepareAll(read.pkg.records, target);
  const matches = await lookupMatches(deps, target, prepared);
  const rows = prepared.map((r) => toPlanRow(classifyRow(r, r.identity === null ? null : (matches.get(r.identity) ?? null), target.definition, target.profile)));

  const plan: Plan = {
    PlanId: deps.newId(),
    FormatVersion: FORMAT_VERSION,
    GeneratedAtUtc: deps.now().toISOString(),
    Entity: entityRef(target.definition),
    Profile: planProfile(target.profile),
    Summary: summarizePlan(rows),
    IssueCategories: countIssueCategories(rows),
    Rows: rows,
  };
  const json = JSON.stringify(plan);
  const outcome = await commitEvents(
    deps,
    [
      {
        streamId: streams.run(plan.PlanId),
        streamVersion: 1,
        event: {
          type: "ImportPlanned",
          data: { RunId: plan.PlanId, EntityId: target.definition.Id, ProfileId: target.profile.Id, FileSha256: await sha256Hex(fileText), Summary: plan.Summary, ResultJson: json },
        },
      },
    ],
    { ...actor, CausationId: null },
  );
  if (!outcome.ok) throw new Error(`recording the plan failed: ${outcome.reason}`);
  return { ok: true, plan, json };
}
