/**
 * The enums' names and integer values without their zod schemas (enums.ts), for code that runs
 * where zod is not loaded: the upload thread cuts packages and words their errors with these.
 */
export const ImportModeNames = ["Upsert", "CreateOnly", "UpdateOnly"] as const;
export const IdentityModeNames = ["Field", "InstanceId", "None"] as const;
export const ActionNames = ["Create", "Update", "Skip"] as const;
export const PlanRowStatusNames = ["Ready", "Warning", "Error"] as const;
export const ApplyRowStatusNames = ["Applied", "AppliedWithWarnings", "Failed"] as const;
export const SeverityNames = ["Warning", "Error"] as const;
export const CategoryNames = ["Package", "Identity", "Validation", "Mapping", "Conflict"] as const;

export const ImportMode = { Upsert: 0, CreateOnly: 1, UpdateOnly: 2 } as const;
export const IdentityMode = { Field: 0, InstanceId: 1, None: 2 } as const;
export const Action = { Create: 0, Update: 1, Skip: 2 } as const;
export const PlanRowStatus = { Ready: 0, Warning: 1, Error: 2 } as const;
export const ApplyRowStatus = { Applied: 0, AppliedWithWarnings: 1, Failed: 2 } as const;
export const Severity = { Warning: 0, Error: 1 } as const;
export const Category = { Package: 0, Identity: 1, Validation: 2, Mapping: 3, Conflict: 4 } as const;

export type ImportModeValue = (typeof ImportMode)[keyof typeof ImportMode];
export type IdentityModeValue = (typeof IdentityMode)[keyof typeof IdentityMode];
export type ActionValue = (typeof Action)[keyof typeof Action];
export type SeverityValue = (typeof Severity)[keyof typeof Severity];
export type CategoryValue = (typeof Category)[keyof typeof Category];
