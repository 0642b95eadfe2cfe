import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../http/auth.js";
import { PackageSchema, ApplyFormSchema, ApplyResultEnvelope, ExportBodySchema, PlanFormSchema, PlanResult } from "../../schemas/transfer.js";
import { apiResult } from "../../schemas/api.js";
import { EntityParam, authResponses, envelope, security } from "../common.js";

const tags = ["JSON data transfer"];
const base = "/api/workspace/entity/{entity}/data-transfer";
const idempotencyHeader = z.object({
  "Idempotency-Key": z.string().max(200).optional().openapi({
    param: { name: "Idempotency-Key", in: "header" },
    description: "A repeat with the same key and request returns the first response and records nothing new; the same key with another request is 409.",
  }),
});

export const plan = createRoute({
  method: "post",
  path: `${base}/import/json/plan`,
  tags,
  security,
  middleware: [requireScope("import:plan")] as const,
  summary: "Plan a JSON import (non-destructive).",
  description:
    "Classifies every record of the uploaded package as Create, Update or Skip against the current state and reports its issues. Changes no instance; the plan is recorded in the audit log. Row errors are data (200), not failures.",
  request: { params: EntityParam, headers: idempotencyHeader, body: { required: true, content: { "multipart/form-data": { schema: PlanFormSchema } } } },
  responses: {
    200: envelope("The plan.", PlanResult),
    400: envelope("No file, not JSON, not a package, another entity's package, or an unsupported FormatVersion.", PlanResult),
    404: envelope("Unknown entity or profile.", PlanResult),
    409: envelope("Idempotency-Key used for a different request.", PlanResult),
    413: { description: "File larger than the configured limit (problem details)." },
    ...authResponses,
  },
});

export const apply = createRoute({
  method: "post",
  path: `${base}/import/json/apply`,
  tags,
  security,
  middleware: [requireScope("import:apply")] as const,
  summary: "Apply selected rows of a JSON import.",
  description:
    "Plans the selected rows again against the current state and commits each ready row atomically (its events and projection change together). Rows fail individually; applying the same file twice changes nothing the second time.",
  request: { params: EntityParam, headers: idempotencyHeader, body: { required: true, content: { "multipart/form-data": { schema: ApplyFormSchema } } } },
  responses: {
    200: envelope("The apply ran (rows may have failed).", ApplyResultEnvelope),
    400: envelope("Unusable request or package, or an invalid SelectedRowIndexes (invalid_selection).", ApplyResultEnvelope),
    404: envelope("Unknown entity or profile.", ApplyResultEnvelope),
    409: envelope("Idempotency-Key used for a different request.", ApplyResultEnvelope),
    413: { description: "File larger than the configured limit (problem details)." },
    ...authResponses,
  },
});

export const exportJson = createRoute({
  method: "post",
  path: `${base}/export/json`,
  tags,
  security,
  middleware: [requireScope("import:plan")] as const,
  summary: "Export instances as a JSON export package (streamed).",
  description: "Every record carries InstanceId and RowVersion; importing the file again with the same profile is a no-op (all rows Skip). Deleted instances are not exported.",
  request: { params: EntityParam, body: { required: true, content: { "application/json": { schema: ExportBodySchema, example: { ProfileId: "by_email" } } } } },
  responses: {
    200: { description: "The package (FormatVersion 1).", content: { "application/json": { schema: PackageSchema } } },
    400: envelope("Invalid request.", apiResult(z.null(), "ApiResultNull")),
    404: envelope("Unknown entity or profile.", apiResult(z.null(), "ApiResultNull")),
    ...authResponses,
  },
});
