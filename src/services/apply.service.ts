import type { EventMetadata } from "../../events/metadata.js";
import { parseSelection } from "../import/selection.js";
import { countIssueCategories, summarizeApply } from "../import/summaries.js";
import { FORMAT_VERSION, type ApplyResult } from "../schemas/transfer.js";
import { applyPreparedRows } from "./apply-rows.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityRef, planProfile, prepareAll, readPackage, resolveTarget } from "./import-context.js";
import { sha256Hex } from "../support/sha256.js";

export type ApplyOutcome = { ok: true; result: ApplyResult; json: string } | Failure;

export { ROWS_PER_COMMIT } from "./apply-rows.js";

export async function applyImport(
  deps: Deps,
  actor: Actor,
  entity: string,
  profileRef: string,
  fileText: string,
  selection: string | string[] | undefined,
): Promise<ApplyOutcome> {
  const resolved = await resolveTarget(deps, entity, profileRef);
  if (!resolved.ok) return resolved;
  const target = resolved.target;
  const read = readPackage(fileText, target);
  if (!read.ok) return read;
  const selected = parseSelection(selection, read.pkg.records.length);
  if (!selected.ok) return { ok: false, status: 400, errors: selected.errors };

  const applyId = deps.newId();
  const meta: EventMetadata = { ...actor, CausationId: applyId };
  // Duplicates are judged over the whole file, as in the plan; only the selected rows are decided.
  const all = prepareAll(read.pkg.records, target);
  const rows = selected.rows.map((i) => all[i - 1]!);
  const applyRows = await applyPreparedRows(deps, target, rows, meta, applyId);

  const result: ApplyResult = {
    ApplyId: applyId,
    FormatVersion: FORMAT_VERSION,
    AppliedAtUtc: deps.now().toISOString(),
    Entity: entityRef(target.definition),
    Profile: planProfile(target.profile),
    Summary: summarizeApply(applyRows),
    IssueCategories: countIssueCategories(applyRows),
    Rows: applyRows,
  };
  const json = JSON.stringify(result);
  const outcome = await commitEvents(
    deps,
    [
      {
        streamId: streams.run(applyId),
        streamVersion: 1,
        event: {
          type: "ImportApplied",
          data: {
            RunId: applyId,
            EntityId: target.definition.Id,
            ProfileId: target.profile.Id,
            FileSha256: await sha256Hex(fileText),
            SelectedRowIndexes: selected.rows,
            Summary: result.Summary,
            ResultJson: json,
          },
        },
      },
    ],
    { ...actor, CausationId: null },
  );
  if (!outcome.ok) throw new Error(`recording the apply failed: ${outcome.reason}`);
  return { ok: true, result, json };
}
