import { z } from "@hono/zod-openapi";
import { ImportModeNames, IdentityModeNames, ActionNames, PlanRowStatusNames, ApplyRowStatusNames, SeverityNames, CategoryNames } from "./enum-values.js";

export * from "./enum-values.js";

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
