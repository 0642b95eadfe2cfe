import { z } from "@hono/zod-openapi";
import { ActionSchema, ApplyRowStatusSchema, CategorySchema, IdentityModeSchema, ImportModeSchema, PlanRowStatusSchema, SeveritySchema } from "./enums.js";
import { IssueSchema, UtcTime, apiResult } from "./api.js";

export const FORMAT_VERSION = 1;

export const EntityRefSchema = z
  .object({
    Id: z.string().openapi({ description: "Entity definition identifier." }),
    Key: z.string().openapi({ description: "Internal entity key.", example: "candidate" }),
    DisplayNameSingular: z.string().openapi({ example: "Candidate" }),
    DisplayNamePlural: z.string().openapi({ example: "Candidates" }),
  })
  .openapi("JsonExportEntity");
export type EntityRef = z.infer<typeof EntityRefSchema>;

export const PackageProfileSchema = z
  .object({ Id: z.string(), Key: z.string(), Name: z.string() })
  .openapi("JsonExportProfile");

export const PlanProfileSchema = z
  .object({ Id: z.string(), Key: z.string(), Name: z.string(), ImportMode: ImportModeSchema, IdentityMode: IdentityModeSchema })
  .openapi("JsonImportProfile");
export type PlanProfile = z.infer<typeof PlanProfileSchema>;

/** One record of the JSON export package (SPEC §3). */
export const PackageRecordSchema = z
  .object({
    InstanceId: z.string().nullish(),
    RowVersion: z.string().nullish(),
    Fields: z.record(z.string(), z.unknown()),
  })
  .openapi("JsonExportRecord");
export type PackageRecord = z.infer<typeof PackageRecordSchema>;

export const PackageSchema = z
  .object({
    FormatVersion: z.number().int().openapi({ example: 1 }),
    ExportedAtUtc: UtcTime.nullish(),
    Entity: EntityRefSchema.partial().extend({ Key: z.string() }).nullish(),
    Profile: PackageProfileSchema.partial().nullish(),
    Records: z.array(PackageRecordSchema),
  })
  .openapi("JsonExportPackage");

export const IssueCategoryCountSchema = z
  .object({ Category: CategorySchema, Severity: SeveritySchema, Count: z.number().int().openapi({ description: "Number of row issues in this category and severity." }) })
  .openapi("JsonImportIssueCategory");
export type IssueCategoryCount = z.infer<typeof IssueCategoryCountSchema>;

export const PlanRowSchema = z
  .object({
    RowIndex: z.number().int().openapi({ description: "One-based row index in the uploaded JSON records array.", example: 1 }),
    IdentityValue: z.string().nullable().openapi({ description: "Resolved identity value used for matching." }),
    MatchedInstanceId: z.string().nullable().openapi({ description: "Matched instance id when the row updates an existing record." }),
    Action: ActionSchema,
    Status: PlanRowStatusSchema,
    Errors: z.array(IssueSchema),
    Warnings: z.array(IssueSchema),
  })
  .openapi("JsonImportPlanRow");
export type PlanRow = z.infer<typeof PlanRowSchema>;

export const PlanSummarySchema = z
  .object({
    TotalRows: z.number().int(),
    ValidRows: z.number().int(),
    ErrorRows: z.number().int(),
    WarningRows: z.number().int(),
    CreateRows: z.number().int(),
    UpdateRows: z.number().int(),
    SkipRows: z.number().int(),
  })
  .openapi("JsonImportPlanSummary");
export type PlanSummary = z.infer<typeof PlanSummarySchema>;

export const PlanSchema = z
  .object({
    PlanId: z.string(),
    FormatVersion: z.number().int(),
    GeneratedAtUtc: UtcTime,
    Entity: EntityRefSchema,
    Profile: PlanProfileSchema,
    Summary: PlanSummarySchema,
    IssueCategories: z.array(IssueCategoryCountSchema),
    Rows: z.array(PlanRowSchema),
    RowsComplete: z.literal(false).optional().openapi({ description: `Present (false) only when the run has more rows than a response carries (${"10,000"}): Rows then holds the first ones and RowsUrl pages through all.` }),
    RowsUrl: z.string().optional().openapi({ description: "Present only with RowsComplete: false: GET it (with after= and limit=) for every row of the run." }),
  })
  .openapi("JsonImportPlan");
export type Plan = z.infer<typeof PlanSchema>;

export const ApplyRowSchema = z
  .object({
    RowIndex: z.number().int(),
    IdentityValue: z.string().nullable(),
    MatchedInstanceId: z.string().nullable(),
    InstanceId: z.string().nullable().openapi({ description: "Affected instance id after a successful mutation." }),
    RowVersion: z.string().nullable().openapi({ description: "Current optimistic-concurrency token after a successful mutation." }),
    ChangedFieldKeys: z.array(z.string()).openapi({ description: "Canonical field keys changed by the committed mutation, sorted." }),
    Action: ActionSchema,
    Status: ApplyRowStatusSchema,
    Errors: z.array(IssueSchema),
    Warnings: z.array(IssueSchema),
  })
  .openapi("JsonImportApplyRow");
export type ApplyRow = z.infer<typeof ApplyRowSchema>;

export const ApplySummarySchema = z
  .object({
    SelectedRows: z.number().int(),
    AppliedRows: z.number().int(),
    FailedRows: z.number().int(),
    WarningRows: z.number().int(),
    CreateRows: z.number().int(),
    UpdateRows: z.number().int(),
    SkipRows: z.number().int(),
  })
  .openapi("JsonImportApplySummary");
export type ApplySummary = z.infer<typeof ApplySummarySchema>;

export const ApplyResultSchema = z
  .object({
    ApplyId: z.string(),
    FormatVersion: z.number().int(),
    AppliedAtUtc: UtcTime,
    Entity: EntityRefSchema,
    Profile: PlanProfileSchema,
    Summary: ApplySummarySchema,
    IssueCategories: z.array(IssueCategoryCountSchema),
    Rows: z.array(ApplyRowSchema),
    RowsComplete: z.literal(false).optional().openapi({ description: `Present (false) only when the run has more rows than a response carries (${"10,000"}): Rows then holds the first ones and RowsUrl pages through all.` }),
    RowsUrl: z.string().optional().openapi({ description: "Present only with RowsComplete: false: GET it (with after= and limit=) for every row of the run." }),
  })
  .openapi("JsonImportApplyResult");
export type ApplyResult = z.infer<typeof ApplyResultSchema>;

export const PlanResult = apiResult(PlanSchema, "ApiResultJsonImportPlan");
export const ApplyResultEnvelope = apiResult(ApplyResultSchema, "ApiResultJsonImportApplyResult");

const fileField = z.any().openapi({ type: "string", format: "binary", description: "Uploaded JSON export package." });

export const PlanFormSchema = z
  .object({
    ProfileId: z.string().openapi({ description: "Data transfer profile identifier (Id or Key).", example: "by_email" }),
    File: fileField,
  })
  .openapi("JsonImportPlanForm");

export const ApplyFormSchema = z
  .object({
    ProfileId: z.string().openapi({ description: "Data transfer profile identifier (Id or Key).", example: "by_email" }),
    File: fileField,
    SelectedRowIndexes: z.union([z.string(), z.array(z.string())]).openapi({
      description: "One-based rows to apply. The field may repeat, or hold a comma-separated list; ranges like `3-7` are accepted.",
      example: "1,2,5-9",
    }),
  })
  .openapi("JsonImportApplyForm");

export const ExportBodySchema = z
  .object({
    ProfileId: z.string().openapi({ example: "by_email" }),
    SelectedInstanceIds: z.array(z.string()).max(100_000).nullish(),
    Query: z
      .object({ Page: z.number().int().min(1).default(1), PageSize: z.number().int().min(1).max(1_000_000).nullish() })
      .nullish()
      .openapi({ description: "One-based page; without PageSize every instance is exported." }),
  })
  .openapi("JsonExportRequest");
