import { Category, Severity, type CategoryValue, type SeverityValue } from "../schemas/enum-values.js";
import type { Issue } from "../schemas/api.js";

/**
 * The issue catalogue (SPEC §1). Numbers are part of the public contract: append, never renumber.
 */
export const IssueTypes = {
  invalid_package: { type: 0, category: Category.Package, severity: Severity.Error },
  unsupported_version: { type: 1, category: Category.Package, severity: Severity.Error },
  entity_mismatch: { type: 2, category: Category.Package, severity: Severity.Error },
  missing_identity: { type: 3, category: Category.Identity, severity: Severity.Error },
  duplicate_identity_in_file: { type: 4, category: Category.Identity, severity: Severity.Error },
  instance_not_found: { type: 5, category: Category.Identity, severity: Severity.Error },
  instance_already_exists: { type: 6, category: Category.Identity, severity: Severity.Error },
  required_field_missing: { type: 7, category: Category.Validation, severity: Severity.Error },
  invalid_field_value: { type: 8, category: Category.Validation, severity: Severity.Error },
  value_too_long: { type: 9, category: Category.Validation, severity: Severity.Error },
  unknown_field: { type: 10, category: Category.Mapping, severity: Severity.Warning },
  concurrency_conflict: { type: 11, category: Category.Conflict, severity: Severity.Error },
  invalid_selection: { type: 12, category: Category.Package, severity: Severity.Error },
  // Added by this service (SPEC §1 allows additions).
  entity_not_found: { type: 13, category: Category.Package, severity: Severity.Error },
  profile_not_found: { type: 14, category: Category.Package, severity: Severity.Error },
  key_already_exists: { type: 15, category: Category.Identity, severity: Severity.Error },
  invalid_request: { type: 16, category: Category.Validation, severity: Severity.Error },
  idempotency_key_reused: { type: 17, category: Category.Conflict, severity: Severity.Error },
  not_found: { type: 18, category: Category.Identity, severity: Severity.Error },
} as const satisfies Record<string, { type: number; category: CategoryValue; severity: SeverityValue }>;

export type IssueCode = keyof typeof IssueTypes;

export function issue(
  code: IssueCode,
  message: string,
  at: { fieldKey?: string | null; rowIndex?: number | null } = {},
): Issue {
  const t = IssueTypes[code];
  return {
    Type: t.type,
    Code: code,
    Severity: t.severity,
    Category: t.category,
    Message: message,
    FieldKey: at.fieldKey ?? null,
    RowIndex: at.rowIndex ?? null,
  };
}

export const isError = (i: Issue) => i.Severity === Severity.Error;
