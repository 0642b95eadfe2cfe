import type { InstanceState } from "../domain/instance.js";
import type { EntityDefinition, Profile } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { Action, IdentityMode, ImportMode, type ActionValue } from "../schemas/enums.js";
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
  const at = { rowIndex: row.rowIndex };
  const live = matched && !matched.Deleted ? matched : null;
  let action: ActionValue = Action.Skip;
  let fields: Record<string, unknown> = {};

  const identityKnown = profile.IdentityMode === IdentityMode.None || row.identity !== null;
  const duplicate = errors.some((e) => e.Code === "duplicate_identity_in_file");
  if (identityKnown && !duplicate) {
    if (live) {
      if (profile.ImportMode === ImportMode.CreateOnly) {
        errors.push(issue("instance_already_exists", `An instance with identity '${row.identity}' exists (${live.Id}).`, at));
      } else if (row.rowVersion && row.rowVersion !== live.RowVersion) {
        errors.push(issue("concurrency_conflict", `Instance ${live.Id} changed since the export (RowVersion ${row.rowVersion} is not current).`, { fieldKey: "RowVersion", rowIndex: row.rowIndex }));
      } else {
        const changes: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row.values)) if (!sameValue(ownValue(live.Fields, k), v)) changes[k] = v;
        const unchanged = Object.keys(changes).length === 0;
        action = unchanged && profile.SkipUnchanged ? Action.Skip : Action.Update;
        fields = changes;
      }
    } else if (profile.ImportMode === ImportMode.UpdateOnly) {
      errors.push(issue("instance_not_found", `No instance matches identity '${row.identity}'.`, at));
    } else if (matched?.Deleted && profile.IdentityMode === IdentityMode.InstanceId) {
      errors.push(issue("instance_not_found", `Instance ${matched.Id} was deleted.`, at));
    } else {
      action = Action.Create;
      for (const [k, v] of Object.entries(row.values)) if (v !== null) fields[k] = v;
    }
  }

  if (action !== Action.Skip) {
    for (const f of definition.Fields) {
      if (!f.Required) continue;
      // An update may leave an already-empty required field empty, but never clear it.
      const missing =
        action === Action.Create ? !Object.hasOwn(fields, f.Key) : row.values[f.Key] === null && live !== null && ownValue(live.Fields, f.Key) !== undefined;
      if (missing && !errors.some((e) => e.FieldKey === f.Key))
        errors.push(issue("required_field_missing", `Field '${f.Key}' is required.`, { fieldKey: f.Key, rowIndex: row.rowIndex }));
    }
  }
  if (errors.some((e) => IDENTITY_ERRORS.has(e.Code))) action = Action.Skip;

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

/** Own keys only: a field named "constructor" must not read Object.prototype. */
function ownValue(fields: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

export const rowHasErrors = (d: RowDecision) => d.errors.some(isError);
