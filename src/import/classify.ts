import type { InstanceState, PlanMatch } from "../domain/instance.js";
import type { EntityDefinition, Profile } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { Action, IdentityMode, ImportMode, type ActionValue } from "../schemas/enums.js";
import type { PlanRow } from "../schemas/transfer.js";
import { planRowStatus } from "./summaries.js";
import { issue, isError } from "../domain/issues.js";
import { sameValue } from "./field-values.js";
import type { PreparedRow } from "./prepare.js";

/** What one row would do against the current state: the plan row plus what apply would write. */
export type RowDecision = {
  rowIndex: number;
  identityValue: string | null;
  matched: InstanceState | null;
  action: ActionValue;
  errors: Issue[];
  warnings: Issue[];
  /** Create: all non-null values. Update: the merge patch of changed values. */
  fields: Record<string, unknown>;
  /** Instance id a Create will use when the package names it (IdentityMode InstanceId). */
  createId: string | null;
};

const IDENTITY_ERRORS = new Set(["missing_identity", "duplicate_identity_in_file", "instance_not_found", "instance_already_exists", "concurrency_conflict", "invalid_package"]);

/**
 * decide() of the import: classifies one prepared row against the instance it matches (if any).
 * A row whose identity cannot be resolved is `Skip` (SPEC §4), with its errors.
 */
export function classifyRow(row: PreparedRow, matched: InstanceState | null, definition: EntityDefinition, profile: Profile): RowDecision {
  const errors = [...row.errors];
  const live = liveOf(matched);
  const fields: Record<string, unknown> = {};
  const action = decide(row, matched, live, definition, profile, errors, fields);
  return {
    rowIndex: row.rowIndex,
    identityValue: row.identity,
    matched: live,
    action,
    errors,
    warnings: row.warnings,
    fields,
    createId: profile.IdentityMode === IdentityMode.InstanceId ? row.identity : null,
  };
}

/**
 * classifyRow as the plan row it turns into (toPlanRow), without the values apply would write.
 * The plan row takes over the prepared row's issue arrays: the row must not be used again.
 */
export function planRowOf(row: PreparedRow, matched: PlanMatch | null, definition: EntityDefinition, profile: Profile): PlanRow {
  const live = liveOf(matched);
  const errors = row.errors;
  const action = decide(row, matched, live, definition, profile, errors, null);
  return {
    RowIndex: row.rowIndex,
    IdentityValue: row.identity,
    MatchedInstanceId: live?.Id ?? null,
    Action: action,
    Status: planRowStatus(errors, row.warnings),
    Errors: errors,
    Warnings: row.warnings,
  };
}

const liveOf = <M extends PlanMatch>(matched: M | null) => (matched && !matched.Deleted ? matched : null);

/**
 * The decision itself: appends the row's new issues to `errors` and returns the action. With
 * `fields`, fills in what apply would write (Create: all non-null values; Update: the merge
 * patch of changed values); without, only whether anything changed is worked out.
 */
function decide(
  row: PreparedRow,
  matched: PlanMatch | null,
  live: PlanMatch | null,
  definition: EntityDefinition,
  profile: Profile,
  errors: Issue[],
  fields: Record<string, unknown> | null,
): ActionValue {
  let action: ActionValue = Action.Skip;
  const values = row.values;

  const identityKnown = profile.IdentityMode === IdentityMode.None || row.identity !== null;
  if (identityKnown && !hasCode(errors, "duplicate_identity_in_file")) {
    if (live) {
      if (profile.ImportMode === ImportMode.CreateOnly) {
        errors.push(issue("instance_already_exists", `An instance with identity '${row.identity}' exists (${live.Id}).`, { rowIndex: row.rowIndex }));
      } else if (row.rowVersion && row.rowVersion !== live.RowVersion) {
        errors.push(issue("concurrency_conflict", `Instance ${live.Id} changed since the export (RowVersion ${row.rowVersion} is not current).`, { fieldKey: "RowVersion", rowIndex: row.rowIndex }));
      } else {
        let unchanged = true;
        for (const k in values) {
          if (!Object.hasOwn(values, k)) continue;
          const v = values[k];
          if (sameValue(ownValue(live.Fields, k), v)) continue;
          unchanged = false;
          if (fields) fields[k] = v;
          else break;
        }
        action = unchanged && profile.SkipUnchanged ? Action.Skip : Action.Update;
      }
    } else if (profile.ImportMode === ImportMode.UpdateOnly) {
      errors.push(issue("instance_not_found", `No instance matches identity '${row.identity}'.`, { rowIndex: row.rowIndex }));
    } else if (matched?.Deleted && profile.IdentityMode === IdentityMode.InstanceId) {
      errors.push(issue("instance_not_found", `Instance ${matched.Id} was deleted.`, { rowIndex: row.rowIndex }));
    } else {
      action = Action.Create;
      if (fields) for (const k in values) if (Object.hasOwn(values, k) && values[k] !== null) fields[k] = values[k];
    }
  }

  if (action !== Action.Skip) {
    for (const f of definition.Fields) {
      if (!f.Required) continue;
      // An update may leave an already-empty required field empty, but never clear it.
      const missing =
        action === Action.Create
          ? !(Object.hasOwn(values, f.Key) && values[f.Key] !== null)
          : values[f.Key] === null && live !== null && ownValue(live.Fields, f.Key) !== undefined;
      if (missing && !hasFieldKey(errors, f.Key)) errors.push(issue("required_field_missing", `Field '${f.Key}' is required.`, { fieldKey: f.Key, rowIndex: row.rowIndex }));
    }
  }
  for (let i = 0; i < errors.length; i++) if (IDENTITY_ERRORS.has(errors[i]!.Code)) return Action.Skip;
  return action;
}

const hasCode = (issues: Issue[], code: string) => {
  for (let i = 0; i < issues.length; i++) if (issues[i]!.Code === code) return true;
  return false;
};
const hasFieldKey = (issues: Issue[], key: string) => {
  for (let i = 0; i < issues.length; i++) if (issues[i]!.FieldKey === key) return true;
  return false;
};

/** Own keys only: a field named "constructor" must not read Object.prototype. */
function ownValue(fields: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

export const rowHasErrors = (d: RowDecision) => d.errors.some(isError);
