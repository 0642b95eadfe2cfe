import { z } from "@hono/zod-openapi";

/**
 * Enums travel as integers (the older .NET API did); the OpenAPI document carries each
 * value's name in the description and in `x-enum-varnames`, which generators understand.
 */
export function intEnum<const N extends readonly string[]>(names: N, description: string) {
  const values = names.map((_, i) => i);
  return z
    .number()
    .int()
    .min(0)
    .max(names.length - 1)
    .openapi({
      enum: values,
      "x-enum-varnames": [...names],
      description: `${description} ${names.map((n, i) => `${i} ${n}`).join(", ")}.`,
      example: 0,
    } as Record<string, unknown>);
}

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

export const ImportModeSchema = intEnum(ImportModeNames, "Import mode:");
export const IdentityModeSchema = intEnum(IdentityModeNames, "Identity mode:");
export const ActionSchema = intEnum(ActionNames, "Row action:");
export const PlanRowStatusSchema = intEnum(PlanRowStatusNames, "Plan row status:");
export const ApplyRowStatusSchema = intEnum(ApplyRowStatusNames, "Apply row status:");
export const SeveritySchema = intEnum(SeverityNames, "Severity:");
export const CategorySchema = intEnum(CategoryNames, "Issue category:");

export const FieldTypes = [
  "string",
  "text",
  "integer",
  "number",
  "boolean",
  "date",
  "datetime",
  "email",
  "url",
  "phone",
  "enum",
] as const;
export const FieldTypeSchema = z.enum(FieldTypes).openapi({ description: "Field value type." });
export type FieldType = z.infer<typeof FieldTypeSchema>;
