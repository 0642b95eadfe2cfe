import { z } from "@hono/zod-openapi";
import { UtcTime } from "./api.js";

/**
 * The older ExportImport API (SPEC §7). Its answers are not enveloped in ApiResult: clients of
 * the .NET product read ExportImportResult at the top level, with these PascalCase names.
 */

const entityCounts = (description: string) =>
  z.record(z.string(), z.number().int()).openapi({ description: `${description} Keys: Candidate, Job, Application (always all three).`, example: { Candidate: 3, Job: 2, Application: 4 } });

export const DotNetExceptionSchema = z
  .object({
    ClassName: z.string().openapi({ example: "HokifyError" }),
    Message: z.string().openapi({ example: "GET /ats-api/application/getAllApplications answered 503, 6 attempt(s)" }),
    Data: z
      .record(z.string(), z.union([z.string(), z.number(), z.null()]))
      .nullable()
      .openapi({ description: "Machine-readable details (e.g. Kind, Status, Attempts for Hokify failures; HokifyId, Codes for a failed record).", example: { Kind: "http", Status: 503, Attempts: 6 } }),
    InnerException: z.null().openapi({ description: "Always null: causes are not exposed." }),
    HelpURL: z.string().nullable(),
    StackTraceString: z.null().openapi({ description: "Always null: no stack trace text is ever sent." }),
    RemoteStackTraceString: z.null(),
    RemoteStackIndex: z.number().int(),
    ExceptionMethod: z.string().nullable(),
    HResult: z.number().int().openapi({ example: -2146233088 }),
    Source: z.string().nullable().openapi({ example: "ImportService.Hokify" }),
    WatsonBuckets: z.null(),
  })
  .openapi("ExportImportException", { description: "An error in the field layout of a serialized .NET System.Exception, which older clients parse." });
export type DotNetException = z.infer<typeof DotNetExceptionSchema>;

export const ExportImportResultSchema = z
  .object({
    CreatedCounts: entityCounts("Records created, per entity type."),
    UpdatedCounts: entityCounts("Records changed, per entity type."),
    DeletedCounts: entityCounts("Records soft-deleted (Full mode; webhook deletions), per entity type."),
    UnchangedCounts: entityCounts("Records Hokify returned that equal the stored state (nothing written), per entity type."),
    Exceptions: z.record(z.string(), z.array(DotNetExceptionSchema)).openapi({
      description:
        "Errors by where they happened: `Hokify` holds a failure of the Hokify API (after the client's retries) that stopped the run; `Candidate`, `Job`, `Application` hold records that failed (at most 100 listed per key; the run report lists all). Empty when the run was clean.",
    }),
    DownloadUrl: z.string().openapi({ description: "The run's per-record report (JSON or CSV by Accept).", example: "https://imports.example.com/api/ExportImport/runs/01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d/report" }),
    OkCount: z.number().int().openapi({ description: "Records processed without error (created, updated, unchanged or deleted).", example: 9 }),
    ErrorCount: z.number().int().openapi({ description: "Failed records plus run-level errors (a Hokify failure).", example: 0 }),
    StatsCounter: z.record(z.string(), z.number().int()).openapi({
      description: "Run statistics: `Fetched` (applications received from Hokify), `Pages` (non-empty pages read), `DurationMs`.",
      example: { Fetched: 4, Pages: 1, DurationMs: 182 },
    }),
  })
  .openapi("ExportImportResult", {
    example: {
      CreatedCounts: { Candidate: 3, Job: 2, Application: 4 },
      UpdatedCounts: { Candidate: 0, Job: 0, Application: 0 },
      DeletedCounts: { Candidate: 0, Job: 0, Application: 0 },
      UnchangedCounts: { Candidate: 0, Job: 0, Application: 0 },
      Exceptions: {},
      DownloadUrl: "https://imports.example.com/api/ExportImport/runs/01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d/report",
      OkCount: 9,
      ErrorCount: 0,
      StatsCounter: { Fetched: 4, Pages: 1, DurationMs: 182 },
    },
  });
export type ExportImportResult = z.infer<typeof ExportImportResultSchema>;

export const RunReportRecordSchema = z
  .object({
    Entity: z.enum(["Candidate", "Job", "Application"]),
    HokifyId: z.string().openapi({ example: "6650f1c2e8a1b2c3d4e5f601" }),
    InstanceId: z.string().nullable().openapi({ description: "The workspace instance; null when the record failed before one existed." }),
    Action: z.enum(["Created", "Updated", "Unchanged", "Deleted", "Failed"]),
    Message: z.string().nullable().openapi({ description: "Why a record failed or was left alone; null otherwise." }),
  })
  .openapi("HokifyRunReportRecord");
export type RunReportRecord = z.infer<typeof RunReportRecordSchema>;

export const RunReportSchema = z
  .object({
    RunId: z.string(),
    ScopeId: z.number().int(),
    ImportMode: z.enum(["Incremental", "Full", "Webhook"]),
    Succeeded: z.boolean().openapi({ description: "False when the Hokify API failed during the run." }),
    StartedAtUtc: UtcTime,
    FinishedAtUtc: UtcTime,
    Records: z.array(RunReportRecordSchema),
  })
  .openapi("HokifyRunReport");
export type RunReport = z.infer<typeof RunReportSchema>;

export const RunIdSchema = z.object({ RunId: z.string().openapi({ example: "01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d" }) }).openapi("HokifyWebhookAccepted");
