import type { Context } from "hono";
import type { z } from "zod";
import { issue } from "../domain/issues.js";
import type { Issue } from "../schemas/api.js";
import { failed } from "./envelope.js";
import { validationProblem } from "./problem.js";

/** Turns zod's findings about a request into SPEC §1 issues: a client's mistake is a 400, never a 500. */
export function issuesFromZod(error: z.ZodError, target: string): Issue[] {
  return error.issues.slice(0, 50).map((i) => {
    const fieldKey = i.path.length ? i.path.map(String).join(".") : null;
    if (target === "form" && fieldKey === "File") return issue("invalid_package", "The form has no File part with the JSON export package.", { fieldKey });
    if (target === "form" && fieldKey === "SelectedRowIndexes")
      return issue("invalid_selection", "SelectedRowIndexes is required: say which rows to apply (e.g. 1,2,5-9).", { fieldKey });
    const missing = i.code === "invalid_type" && /received undefined/.test(i.message);
    const where = fieldKey ? `'${fieldKey}'` : `the ${target === "json" ? "body" : target}`;
    return missing
      ? issue("required_field_missing", `${where} is required.`, { fieldKey })
      : issue("invalid_field_value", `${where}: ${i.message}`, { fieldKey });
  });
}

export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }, _c: Context) {
  if (!result.success) return failed(400, issuesFromZod(result.error, result.target));
}

/** zod's findings as `{ field: [messages] }` (ValidationProblemDetails.errors). */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of error.issues.slice(0, 50)) (out[i.path.length ? i.path.map(String).join(".") : "$"] ??= []).push(i.message);
  return out;
}

/** For the older ExportImport API, whose answers are not ApiResult envelopes: 400 problem details. */
export function problemValidationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }, c: Context) {
  if (!result.success) return validationProblem(c, fieldErrors(result.error));
}
