import { z } from "@hono/zod-openapi";
import { CategorySchema, SeveritySchema } from "./enums.js";

export const IssueSchema = z
  .object({
    Type: z.number().int().openapi({ description: "Issue type number (stable; see Code).", example: 7 }),
    Code: z.string().openapi({ description: "Stable snake_case name of Type.", example: "required_field_missing" }),
    Severity: SeveritySchema,
    Category: CategorySchema,
    Message: z.string().openapi({ example: "Field 'email' is required." }),
    FieldKey: z.string().nullable().openapi({ example: "email" }),
    RowIndex: z.number().int().nullable().openapi({ description: "One-based row in Records, when the issue is about a row.", example: 3 }),
  })
  .openapi("Issue");
export type Issue = z.infer<typeof IssueSchema>;

/** `ApiResult<T>`: the envelope every JSON route of the workspace API answers with. */
export function apiResult<T extends z.ZodTypeAny>(data: T, name: string) {
  return z
    .object({
      Data: data.nullable(),
      Errors: z.array(IssueSchema),
      Warnings: z.array(IssueSchema),
    })
    .openapi(name);
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://import-service.dev/problems/unauthorized" }),
    title: z.string().openapi({ example: "Unauthorized" }),
    status: z.number().int().openapi({ example: 401 }),
    detail: z.string().openapi({ example: "A bearer token is required." }),
    instance: z.string().openapi({ example: "/api/workspace/entity-definitions" }),
  })
  .openapi("ProblemDetails");
export type Problem = z.infer<typeof ProblemSchema>;

export const problemResponses = {
  401: { description: "Missing or wrong token.", content: { "application/problem+json": { schema: ProblemSchema } } },
  403: { description: "The token lacks the scope this route needs.", content: { "application/problem+json": { schema: ProblemSchema } } },
} as const;

export const UtcTime = z.string().openapi({ format: "date-time", example: "2026-02-04T06:23:58.000Z" });
